"""The stages wired into engines: Beam, and a local iterator chain (imported as roots.pipelines)."""
