//! `--memory-limit`: a size in bytes, written plainly or with a binary suffix, and the
//! engine's memory-limit errors told in terms of the flag.

use nn_net::NetError;

/// The flag's default, as clap shows it: [`nn_net::DEFAULT_MEMORY_LIMIT`], 8 GiB.
pub const DEFAULT_MEMORY_LIMIT_TEXT: &str = "8G";

/// Parses a size: whole bytes (`1073741824`), or a whole number with `K`, `M`, `G` or `T`,
/// powers of 1024, optionally followed by `iB` or `B` (`512M`, `8GiB`, `2tb`), as `free -h`
/// and `ls -h` count.
///
/// ```
/// use nn::commands::parse_memory_limit;
///
/// assert_eq!(parse_memory_limit("8G"), Ok(8 << 30));
/// assert_eq!(parse_memory_limit("512MiB"), Ok(512 << 20));
/// assert_eq!(parse_memory_limit("1000"), Ok(1000));
/// assert!(parse_memory_limit("8 gigs").is_err());
/// ```
///
/// # Errors
/// A message saying what a size looks like, for anything else, for 0, and for more than a
/// `u64` holds.
pub fn parse_memory_limit(text: &str) -> Result<u64, String> {
    let expected = "expected a size such as 8G, 512M or 1073741824 (bytes; K, M, G and T are \
                    powers of 1024)";
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, suffix) = text.split_at(digits);
    let shift = match suffix.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(format!("{expected}; found {text:?}")),
    };
    let number: u64 = number.parse().map_err(|_| format!("{expected}; found {text:?}"))?;
    let bytes = number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("expected a size of at most 2^64 − 1 bytes; found {text:?}"))?;
    if bytes == 0 {
        return Err(format!("expected a size of at least 1 byte; found {text:?}"));
    }
    Ok(bytes)
}

/// The engine's [`NetError::MemoryLimit`] says which library setting raises the limit; the
/// command's user raises it with `--memory-limit`.
pub fn raised_by_flag(error: NetError) -> NetError {
    match error {
        NetError::MemoryLimit { what, bytes, limit, .. } => {
            NetError::MemoryLimit { what, bytes, limit, raise: "--memory-limit" }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_with_and_without_units() {
        for (text, bytes) in [
            ("1", 1),
            ("1b", 1),
            ("2K", 2048),
            ("2kb", 2048),
            ("3MiB", 3 << 20),
            ("8G", 8 << 30),
            ("8gib", 8 << 30),
            ("1T", 1 << 40),
            ("16777215T", 16_777_215 << 40),
        ] {
            assert_eq!(parse_memory_limit(text), Ok(bytes), "{text}");
        }
        assert_eq!(parse_memory_limit(DEFAULT_MEMORY_LIMIT_TEXT), Ok(nn_net::DEFAULT_MEMORY_LIMIT));
    }

    #[test]
    fn what_is_not_a_size_is_refused_with_the_form_expected() {
        for text in ["", "G", "8 G", " 8G", "8.5G", "-1", "8X", "8GG", "0x10", "１"] {
            let e = parse_memory_limit(text).unwrap_err();
            assert!(e.starts_with("expected a size such as 8G"), "{text:?}: {e}");
            assert!(e.contains(&format!("found {text:?}")), "{text:?}: {e}");
        }
        let e = parse_memory_limit("0K").unwrap_err();
        assert_eq!(e, "expected a size of at least 1 byte; found \"0K\"");
        let e = parse_memory_limit("16777216T").unwrap_err();
        assert!(e.starts_with("expected a size of at most 2^64 − 1 bytes"), "{e}");
        assert!(parse_memory_limit("99999999999999999999").is_err());
    }
}
