//! Writing to stdout and stderr without ever panicking: when the reader goes away
//! (`prodsim run ... | head`), output stops quietly and the command still finishes its work and
//! exits with its own code (a gate that failed still exits 3).

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_GONE: AtomicBool = AtomicBool::new(false);
static STDERR_GONE: AtomicBool = AtomicBool::new(false);

fn emit(mut w: impl Write, gone: &AtomicBool, args: fmt::Arguments<'_>, newline: bool) {
    if gone.load(Ordering::Relaxed) {
        return;
    }
    let r = w
        .write_fmt(args)
        .and_then(|_| if newline { w.write_all(b"\n") } else { Ok(()) })
        .and_then(|_| w.flush());
    if r.is_err() {
        // Broken pipe or a closed descriptor: nobody is reading; stay quiet from now on.
        gone.store(true, Ordering::Relaxed);
    }
}

/// Writes to stdout (see the macros [`crate::outln`] and [`crate::out`]).
pub fn stdout(args: fmt::Arguments<'_>, newline: bool) {
    emit(io::stdout().lock(), &STDOUT_GONE, args, newline);
}

/// Writes to stderr (see the macro [`crate::errln`]).
pub fn stderr(args: fmt::Arguments<'_>, newline: bool) {
    emit(io::stderr().lock(), &STDERR_GONE, args, newline);
}

/// A `Write` to stdout that swallows a broken pipe (for writers such as the summary table).
#[derive(Debug, Default, Clone, Copy)]
pub struct QuietStdout;

impl Write for QuietStdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !STDOUT_GONE.load(Ordering::Relaxed) && io::stdout().lock().write_all(buf).is_err() {
            STDOUT_GONE.store(true, Ordering::Relaxed);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        if !STDOUT_GONE.load(Ordering::Relaxed) && io::stdout().lock().flush().is_err() {
            STDOUT_GONE.store(true, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// `println!` that never panics on a closed stdout.
#[macro_export]
macro_rules! outln {
    () => { $crate::term::stdout(format_args!(""), true) };
    ($($t:tt)*) => { $crate::term::stdout(format_args!($($t)*), true) };
}

/// `print!` that never panics on a closed stdout.
#[macro_export]
macro_rules! out {
    ($($t:tt)*) => { $crate::term::stdout(format_args!($($t)*), false) };
}

/// `eprintln!` that never panics on a closed stderr.
#[macro_export]
macro_rules! errln {
    ($($t:tt)*) => { $crate::term::stderr(format_args!($($t)*), true) };
}
