//! HTTP `Range` requests on a blob (RFC 9110 §14): one byte range, `bytes=a-b`, `bytes=a-` or
//! `bytes=-n`. Several ranges in one request are answered with the whole blob, which the RFC
//! allows.

use std::ops::Range;

/// What a `Range` header asks of a blob of a known length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RangeRequest {
    /// The whole blob (no header, or one this server does not split).
    Whole,
    /// One satisfiable range of bytes.
    Part(Range<u64>),
    /// A range that starts past the end (answer 416).
    Unsatisfiable,
}

/// Interprets `header` for a blob of `len` bytes.
pub(crate) fn parse(header: Option<&str>, len: u64) -> RangeRequest {
    let Some(spec) = header.and_then(|header| header.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Whole;
    };
    if spec.contains(',') {
        return RangeRequest::Whole;
    }
    let Some((start, end)) = spec.trim().split_once('-') else { return RangeRequest::Whole };
    let (start, end) = (start.trim(), end.trim());
    let range = match (start.parse::<u64>(), end.parse::<u64>()) {
        // bytes=-n: the last n bytes.
        (Err(_), Ok(suffix)) if start.is_empty() => {
            if suffix == 0 {
                return RangeRequest::Unsatisfiable;
            }
            len.saturating_sub(suffix)..len
        }
        (Ok(first), Err(_)) if end.is_empty() => first..len,
        (Ok(first), Ok(last)) if first <= last => first..last.saturating_add(1).min(len),
        _ => return RangeRequest::Whole,
    };
    if range.start >= len {
        return RangeRequest::Unsatisfiable;
    }
    RangeRequest::Part(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_clamped_to_the_blob_and_inclusive_at_the_end() {
        assert_eq!(parse(Some("bytes=0-0"), 10), RangeRequest::Part(0..1));
        assert_eq!(parse(Some("bytes=2-5"), 10), RangeRequest::Part(2..6));
        assert_eq!(parse(Some("bytes=7-100"), 10), RangeRequest::Part(7..10));
        assert_eq!(parse(Some("bytes=4-"), 10), RangeRequest::Part(4..10));
        assert_eq!(parse(Some("bytes=-3"), 10), RangeRequest::Part(7..10));
        assert_eq!(parse(Some("bytes=-30"), 10), RangeRequest::Part(0..10));
    }

    #[test]
    fn past_the_end_is_unsatisfiable_and_odd_headers_mean_the_whole_blob() {
        assert_eq!(parse(Some("bytes=10-"), 10), RangeRequest::Unsatisfiable);
        assert_eq!(parse(Some("bytes=0-"), 0), RangeRequest::Unsatisfiable);
        assert_eq!(parse(Some("bytes=-0"), 10), RangeRequest::Unsatisfiable);
        assert_eq!(parse(None, 10), RangeRequest::Whole);
        assert_eq!(parse(Some("bytes=5-2"), 10), RangeRequest::Whole);
        assert_eq!(parse(Some("bytes=0-1,4-5"), 10), RangeRequest::Whole);
        assert_eq!(parse(Some("items=0-1"), 10), RangeRequest::Whole);
    }
}
