//! The response body type, covering normal and faulty bodies.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

/// How long a faulty body stays pending so that hyper flushes what was
/// written before it (head and partial data) ahead of the failure.
const FLUSH_PAUSE: Duration = Duration::from_millis(30);
const LARGE_CHUNK: usize = 16 * 1024;
const LARGE_PREFIX: &[u8] = b"{\"data\":\"";
const LARGE_SUFFIX: &[u8] = b"\"}";

pub(crate) enum MockBody {
    Full(Option<Bytes>),
    /// Sends the bytes, pauses, then ends short of the announced length.
    Truncated {
        data: Option<Bytes>,
        pause: Option<Pin<Box<Sleep>>>,
    },
    /// Pauses, then fails: the connection is dropped after the head.
    Abort {
        pause: Pin<Box<Sleep>>,
    },
    Large {
        total: u64,
        sent: u64,
    },
}

impl MockBody {
    pub(crate) fn full(b: impl Into<Bytes>) -> Self {
        MockBody::Full(Some(b.into()))
    }

    pub(crate) fn empty() -> Self {
        MockBody::Full(None)
    }

    pub(crate) fn truncated(b: Bytes) -> Self {
        MockBody::Truncated {
            data: Some(b),
            pause: None,
        }
    }

    pub(crate) fn abort() -> Self {
        MockBody::Abort {
            pause: Box::pin(tokio::time::sleep(FLUSH_PAUSE)),
        }
    }

    pub(crate) fn large(total: u64) -> Self {
        MockBody::Large { total, sent: 0 }
    }
}

/// Byte `i` of a large body of `total` bytes: `{"data":"aaaa…"}`, or only
/// `a`s when too small for the wrapper.
fn large_byte(i: u64, total: u64) -> u8 {
    let wrap = (LARGE_PREFIX.len() + LARGE_SUFFIX.len()) as u64;
    if total < wrap {
        return b'a';
    }
    if i < LARGE_PREFIX.len() as u64 {
        LARGE_PREFIX[i as usize]
    } else if i >= total - LARGE_SUFFIX.len() as u64 {
        LARGE_SUFFIX[(i - (total - LARGE_SUFFIX.len() as u64)) as usize]
    } else {
        b'a'
    }
}

impl Body for MockBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.get_mut() {
            MockBody::Full(data) => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            MockBody::Truncated { data, pause } => {
                if let Some(d) = data.take() {
                    *pause = Some(Box::pin(tokio::time::sleep(FLUSH_PAUSE)));
                    return Poll::Ready(Some(Ok(Frame::data(d))));
                }
                match pause {
                    Some(p) => p.as_mut().poll(cx).map(|()| None),
                    None => Poll::Ready(None),
                }
            }
            MockBody::Abort { pause } => pause.as_mut().poll(cx).map(|()| {
                Some(Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "cakemail-mock: injected CloseMidResponse",
                )))
            }),
            MockBody::Large { total, sent } => {
                if *sent >= *total {
                    return Poll::Ready(None);
                }
                let n = (*total - *sent).min(LARGE_CHUNK as u64);
                let chunk: Vec<u8> = (*sent..*sent + n).map(|i| large_byte(i, *total)).collect();
                *sent += n;
                Poll::Ready(Some(Ok(Frame::data(Bytes::from(chunk)))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            MockBody::Full(d) => d.is_none(),
            MockBody::Large { total, sent } => sent >= total,
            _ => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            MockBody::Full(d) => SizeHint::with_exact(d.as_ref().map_or(0, |d| d.len() as u64)),
            MockBody::Large { total, sent } => SizeHint::with_exact(total - sent),
            // Unknown, so that hyper uses the (wrong) Content-Length header we set.
            _ => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_body_shape() {
        let total = 40;
        let s: Vec<u8> = (0..total).map(|i| large_byte(i, total)).collect();
        let v: serde_json::Value = serde_json::from_slice(&s).unwrap();
        assert_eq!(v["data"].as_str().unwrap().len(), 40 - 11);
        let tiny: Vec<u8> = (0..3).map(|i| large_byte(i, 3)).collect();
        assert_eq!(tiny, b"aaa");
    }
}
