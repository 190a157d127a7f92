// SPDX-License-Identifier: Apache-2.0
//! `wordfreq [-n N] [FILE...]`: prints the N most frequent words.

use std::env;
use std::fs;
use std::io::{self, Read};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut top = 10usize;
    let mut files = Vec::new();
    let mut args = env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "-n" {
            match args.next().and_then(|n| n.parse().ok()) {
                Some(n) => top = n,
                None => {
                    eprintln!("wordfreq: -n needs a number");
                    return ExitCode::from(2);
                }
            }
        } else {
            files.push(arg);
        }
    }

    let mut text = String::new();
    if files.is_empty() {
        if let Err(e) = io::stdin().read_to_string(&mut text) {
            eprintln!("wordfreq: {e}");
            return ExitCode::FAILURE;
        }
    }
    for path in &files {
        match fs::read_to_string(path) {
            Ok(s) => {
                text.push_str(&s);
                text.push('\n');
            }
            Err(e) => {
                eprintln!("wordfreq: {path}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }

    for (word, count) in wordfreq::frequencies(&text).into_iter().take(top) {
        println!("{count:>7} {word}");
    }
    ExitCode::SUCCESS
}
