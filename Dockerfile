# syntax=docker/dockerfile:1
# roots with everything a run needs, KenLM's lmplz and build_binary included (they are in no wheel).
#
#   docker build -t roots .                                   (--build-arg EXTRAS=notebooks for Jupyter)
#   docker run --rm -v "$PWD:/work" roots run examples/sample.yaml --output runs/sample
#   docker run --rm roots doctor
#
# Debian bookworm, the release the KenLM build and its packages were checked on (ENVIRONMENT.md).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: KenLM's programs, then roots and every dependency as wheels (kenlm's module compiles here) ---
FROM ${PYTHON_IMAGE} AS build
ARG EXTRAS=""
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
COPY roots/tools/build_kenlm.sh /src/roots/tools/build_kenlm.sh
# As root it apt-get installs cmake, g++, Boost, zlib/bz2/lzma dev packages, then compiles the two programs.
RUN KENLM_BUILD_DIR=/tmp/kenlm bash /src/roots/tools/build_kenlm.sh /opt/kenlm/bin
COPY pyproject.toml README.md /src/
COPY roots /src/roots
COPY filters /src/filters
COPY pipelines /src/pipelines
COPY language_configs /src/language_configs
RUN pip wheel -w /wheels "/src${EXTRAS:+[$EXTRAS]}"

# --- the image: the wheels installed, the two programs and the shared libraries they load ---
FROM ${PYTHON_IMAGE}
ARG EXTRAS=""
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore MPLCONFIGDIR=/tmp/matplotlib
RUN apt-get update \
 && apt-get install -y --no-install-recommends libboost-program-options1.74.0 libboost-thread1.74.0 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/kenlm/bin/lmplz /opt/kenlm/bin/build_binary /usr/local/bin/
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links /wheels "roots-corpus${EXTRAS:+[$EXTRAS]}" \
 && lmplz --help 2>&1 | grep -q Kneser-Ney && roots doctor
WORKDIR /work
ENTRYPOINT ["roots"]
CMD ["--help"]
