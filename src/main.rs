//! The `coi` command: parses arguments, runs one command, prints an error once, maps the outcome
//! to an exit code (0 success, 1 the thing checked is bad, 2 usage or operational error).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match cli::parse_args() {
        Ok(args) => args,
        Err(code) => return code,
    };
    let result = cli::run(args);
    // Whatever the outcome, what was printed so far goes out before any error message.
    let flushed = cli::flush();
    let result = result.and_then(|outcome| flushed.map(|()| outcome));
    if let Err(e) = &result {
        // Every error's message is complete in itself (it names its cause).
        // Untrusted parts were escaped where the message was built; what is left to do is to keep
        // anything a terminal would act on from reaching it (without doubling those escapes).
        let msg = coi_ledger::display::sanitize(&e.to_string());
        eprintln!("coi: error: {msg}");
    }
    cli::exit_code(&result)
}
