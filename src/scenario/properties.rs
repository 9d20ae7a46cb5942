//! Java `.properties` files, read as `java.util.Properties.load` reads them (the JDK's
//! `Properties.load(Reader)` javadoc and its `LineReader` / `loadConvert`), because Kafka's
//! tools load producer configs that way (`Utils.loadProps`: `Properties.load(InputStream)`,
//! i.e. ISO 8859-1 bytes).
//!
//! - A *natural line* ends at `\n`, `\r` or `\r\n`. A *logical line* may span several natural
//!   lines: a line ending in an odd number of backslashes continues on the next one, whose
//!   leading whitespace (space, `\t`, `\f`) is dropped.
//! - Leading whitespace is ignored; blank lines are skipped; a line whose first non-blank
//!   character is `#` or `!` is a comment (a comment never continues).
//! - The key runs up to the first unescaped `=`, `:` or whitespace; whitespace around one `=` or
//!   `:` separator is dropped; the rest of the line is the value (trailing whitespace kept).
//! - Escapes in keys and values: `\t`, `\n`, `\r`, `\f`, `\uXXXX` (exactly four hex digits,
//!   else an error: the JDK's "Malformed \uxxxx encoding"), and a backslash before any other
//!   character stands for that character (`\=`, `\:`, `\ `, `\\`, `\#`).
//! - A key given twice keeps its last value (the file is a `Hashtable`); [`parse`] returns every
//!   entry in file order and the caller applies them in order, which gives the same result.

/// One `key=value` entry of a properties file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub key: String,
    pub value: String,
    /// 1-based natural line where the entry's logical line starts.
    pub line: usize,
}

/// Decodes bytes as ISO 8859-1, the encoding of `Properties.load(InputStream)`: every byte is
/// the code point of the same value.
pub(crate) fn decode_latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\x0c'
}

/// Splits `text` into logical lines `(first natural line, raw text)` with continuations joined,
/// comments and blank lines dropped (`Properties.LineReader.readLine`).
fn logical_lines(text: &str) -> Vec<(usize, Vec<char>)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line_no = 1;
    while i < chars.len() {
        // Start of a logical line: skip blanks and empty lines.
        let c = chars[i];
        if is_blank(c) {
            i += 1;
            continue;
        }
        if c == '\n' || c == '\r' {
            if c == '\r' && chars.get(i + 1) == Some(&'\n') {
                i += 1;
            }
            i += 1;
            line_no += 1;
            continue;
        }
        let start_line = line_no;
        if c == '#' || c == '!' {
            // A comment: skip to the end of the natural line (no continuation).
            while i < chars.len() && chars[i] != '\n' && chars[i] != '\r' {
                i += 1;
            }
            continue;
        }
        let mut buf: Vec<char> = Vec::new();
        // An odd run of backslashes just before the line end escapes it.
        let mut odd_backslashes = false;
        loop {
            let Some(&c) = chars.get(i) else {
                // End of input: a trailing odd backslash is dropped.
                if odd_backslashes {
                    buf.pop();
                }
                break;
            };
            if c == '\n' || c == '\r' {
                i += 1;
                if c == '\r' && chars.get(i) == Some(&'\n') {
                    i += 1;
                }
                line_no += 1;
                if !odd_backslashes {
                    break;
                }
                // Continuation: drop the backslash and the next line's leading blanks.
                buf.pop();
                odd_backslashes = false;
                while i < chars.len() && is_blank(chars[i]) {
                    i += 1;
                }
                continue;
            }
            odd_backslashes = c == '\\' && !odd_backslashes;
            buf.push(c);
            i += 1;
        }
        out.push((start_line, buf));
    }
    out
}

/// The four hex digits of a `\uXXXX` escape starting at `raw[at]`.
fn hex4(raw: &[char], at: usize) -> Result<u32, String> {
    let hex: String = raw.iter().skip(at).take(4).collect();
    if hex.len() == 4 && hex.chars().all(|h| h.is_ascii_hexdigit()) {
        if let Ok(code) = u32::from_str_radix(&hex, 16) {
            return Ok(code);
        }
    }
    Err(format!(
        "malformed \\uXXXX escape `\\u{hex}`: java.util.Properties needs exactly four hex digits"
    ))
}

/// Resolves escapes (`Properties.loadConvert`).
fn unescape(raw: &[char]) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        i += 1;
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(&e) = raw.get(i) else {
            break;
        };
        i += 1;
        match e {
            'u' => {
                let code = hex4(raw, i)?;
                i += 4;
                // Java strings are UTF-16: `\uD83D\uDE00` is one character. A lone surrogate
                // has no Rust `char`; U+FFFD stands for it.
                let mut low = None;
                if (0xD800..0xDC00).contains(&code) && raw.get(i) == Some(&'\\') && raw.get(i + 1) == Some(&'u') {
                    low = hex4(raw, i + 2).ok().filter(|l| (0xDC00..0xE000).contains(l));
                }
                let c = match low {
                    Some(l) => {
                        i += 6;
                        char::from_u32(0x10000 + ((code - 0xD800) << 10) + (l - 0xDC00))
                    }
                    None => char::from_u32(code),
                };
                out.push(c.unwrap_or('\u{fffd}'));
            }
            't' => out.push('\t'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            'f' => out.push('\x0c'),
            other => out.push(other),
        }
    }
    Ok(out)
}

/// Parses properties text into its entries, in file order. The error is `(line, message)`.
pub(super) fn parse(text: &str) -> Result<Vec<Entry>, (usize, String)> {
    let mut out = Vec::new();
    for (line, buf) in logical_lines(text) {
        // The key ends at the first unescaped '=', ':' or blank (`Properties.load0`).
        let mut key_len = 0;
        let mut value_start = buf.len();
        let mut has_sep = false;
        let mut preceding_backslash = false;
        while key_len < buf.len() {
            let c = buf[key_len];
            if (c == '=' || c == ':') && !preceding_backslash {
                value_start = key_len + 1;
                has_sep = true;
                break;
            }
            if is_blank(c) && !preceding_backslash {
                value_start = key_len + 1;
                break;
            }
            preceding_backslash = c == '\\' && !preceding_backslash;
            key_len += 1;
        }
        // Blanks, then at most one separator, then blanks, before the value.
        while value_start < buf.len() {
            let c = buf[value_start];
            if !is_blank(c) {
                if !has_sep && (c == '=' || c == ':') {
                    has_sep = true;
                } else {
                    break;
                }
            }
            value_start += 1;
        }
        let key = unescape(&buf[..key_len]).map_err(|m| (line, m))?;
        let value = unescape(&buf[value_start..]).map_err(|m| (line, m))?;
        out.push(Entry { key, value, line });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(text: &str) -> Vec<(String, String, usize)> {
        parse(text)
            .unwrap()
            .into_iter()
            .map(|e| (e.key, e.value, e.line))
            .collect()
    }

    fn one(key: &str, value: &str, line: usize) -> (String, String, usize) {
        (key.to_string(), value.to_string(), line)
    }

    #[test]
    fn separators_equals_colon_and_whitespace() {
        assert_eq!(
            kv("a=1\nb:2\nc 3\nd = 4\ne : 5\nf\t\t6\ng =  = 7\n"),
            vec![
                one("a", "1", 1),
                one("b", "2", 2),
                one("c", "3", 3),
                one("d", "4", 4),
                one("e", "5", 5),
                one("f", "6", 6),
                // Only one separator is skipped: the second '=' starts the value.
                one("g", "= 7", 7),
            ]
        );
        // Whitespace, then '=' still counts as one separator; a key alone has an empty value.
        assert_eq!(kv("h  =x\nlonely\n"), vec![one("h", "x", 1), one("lonely", "", 2)]);
    }

    #[test]
    fn comments_and_blank_lines_are_skipped() {
        let text = "# a comment\n! another\n\n   \n  # indented comment\nk=v # not a comment\n";
        assert_eq!(kv(text), vec![one("k", "v # not a comment", 6)]);
        // A comment line ending in a backslash does not continue.
        assert_eq!(kv("# c \\\nk=v\n"), vec![one("k", "v", 2)]);
    }

    #[test]
    fn leading_whitespace_is_ignored_trailing_is_kept() {
        assert_eq!(kv("   \t\x0ckey=value  \n"), vec![one("key", "value  ", 1)]);
    }

    #[test]
    fn line_continuations() {
        // The continuation line's leading whitespace is dropped.
        assert_eq!(
            kv("list = a,\\\n        b,\\\n   c\nnext=1\n"),
            vec![one("list", "a,b,c", 1), one("next", "1", 4)]
        );
        // An even number of backslashes is an escaped backslash, not a continuation.
        assert_eq!(kv("p=C:\\\\\nq=2\n"), vec![one("p", "C:\\", 1), one("q", "2", 2)]);
        // CRLF and CR line ends; a continued key.
        assert_eq!(
            kv("ke\\\r\n  y=v\r\nz=1\rw=2"),
            vec![one("key", "v", 1), one("z", "1", 3), one("w", "2", 4)]
        );
        // A backslash at the very end of the input is dropped.
        assert_eq!(kv("k=v\\"), vec![one("k", "v", 1)]);
        // A continuation onto an empty line ends the value there.
        assert_eq!(kv("k=v\\\n\nm=n\n"), vec![one("k", "v", 1), one("m", "n", 3)]);
        // A continuation line starting with '#' is part of the value.
        assert_eq!(kv("k=a\\\n#b\n"), vec![one("k", "a#b", 1)]);
    }

    #[test]
    fn escapes() {
        assert_eq!(
            kv("a\\=b\\:c\\ d = x\\ty\\nz\\r\\f\\\\\\q\n"),
            vec![one("a=b:c d", "x\ty\nz\r\x0c\\q", 1)]
        );
        // \uXXXX, in keys and values.
        assert_eq!(kv("\\u006Cinger.ms=\\u0031\\u00e9\n"), vec![one("linger.ms", "1é", 1)]);
        // A UTF-16 surrogate pair is one character; a lone surrogate becomes U+FFFD.
        assert_eq!(
            kv("k=\\uD83D\\uDE00\\uD800x\n"),
            vec![one("k", "\u{1F600}\u{FFFD}x", 1)]
        );
        // A leading escaped blank keeps the blank in the value.
        assert_eq!(kv("k =\\  v\n"), vec![one("k", "  v", 1)]);
    }

    #[test]
    fn malformed_unicode_escape_is_an_error_with_its_line() {
        let e = parse("ok=1\nbad=\\u12G4\n").unwrap_err();
        assert_eq!(e.0, 2);
        assert!(e.1.contains("four hex digits"), "{}", e.1);
        assert!(parse("bad=\\u12").is_err());
    }

    #[test]
    fn duplicate_keys_are_all_returned_in_order() {
        assert_eq!(kv("k=1\nk=2\n"), vec![one("k", "1", 1), one("k", "2", 2)]);
    }

    #[test]
    fn latin1_decoding() {
        assert_eq!(decode_latin1(b"a=\xe9"), "a=é");
        assert_eq!(decode_latin1(&[0x80, 0xff]), "\u{80}\u{ff}");
    }

    /// Negative control: a file Java reads differently from a naive `split('=')` parser.
    #[test]
    fn differs_from_naive_split() {
        let text = "a\\=b=c\n";
        let naive: Vec<&str> = text.trim_end().splitn(2, '=').collect();
        assert_eq!(naive, vec!["a\\", "b=c"]);
        assert_eq!(kv(text), vec![one("a=b", "c", 1)]);
    }
}
