//! `coi completions SHELL` and `coi man`: shell completions and manual pages, generated from
//! the argument definitions themselves, so they never disagree with `--help`.

use std::io::Write as _;
use std::path::PathBuf;

use clap::{Args as ClapArgs, CommandFactory as _};
use coi_ledger::display::escape;
use coi_ledger::{Error, Result};

use super::{Args, Outcome};

#[derive(ClapArgs, Debug)]
#[command(after_help = "Examples:
  coi completions bash > ~/.local/share/bash-completion/completions/coi
  coi completions zsh > ~/.zfunc/_coi        (with fpath+=~/.zfunc in ~/.zshrc)
  coi completions fish > ~/.config/fish/completions/coi.fish")]
pub(super) struct CompletionsArgs {
    /// The shell.
    shell: clap_complete::Shell,
}

#[derive(ClapArgs, Debug)]
#[command(after_help = "Examples:
  coi man | man -l -                      read coi(1) now
  coi man --dir ~/.local/share/man/man1   install coi(1) and a page per command")]
pub(super) struct ManArgs {
    /// Write coi.1 and one page per command (coi-declare.1, ...) into DIR instead of printing
    /// coi.1.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub(super) fn completions(a: CompletionsArgs) -> Result<Outcome> {
    let mut cmd = Args::command();
    let mut buf = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "coi", &mut buf);
    super::out(String::from_utf8_lossy(&buf).trim_end())?;
    Ok(Outcome::Ok)
}

fn render(cmd: clap::Command) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut buf)
        .map_err(|e| Error::io("a manual page", e))?;
    Ok(buf)
}

pub(super) fn man(a: ManArgs) -> Result<Outcome> {
    let mut cmd = Args::command();
    cmd.build();
    let Some(dir) = a.dir else {
        super::out(String::from_utf8_lossy(&render(cmd)?).trim_end())?;
        return Ok(Outcome::Ok);
    };
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let mut written = 0;
    let write = |name: &str, bytes: &[u8]| -> Result<()> {
        let path = dir.join(name);
        let mut f = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
        f.write_all(bytes).map_err(|e| Error::io(&path, e))
    };
    write("coi.1", &render(cmd.clone())?)?;
    written += 1;
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let name = format!("coi-{}", sub.get_name());
        let page = sub.clone().name(name.clone()).bin_name(name.clone());
        write(&format!("{name}.1"), &render(page)?)?;
        written += 1;
    }
    eprintln!(
        "coi: wrote {written} manual pages into {}",
        escape(&dir.display().to_string())
    );
    Ok(Outcome::Ok)
}
