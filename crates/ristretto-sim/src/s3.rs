//! S3 GetObject (and HeadObject), path style (`GET /bucket/key`), for Terraform state files read
//! by the `tfstate` template function. Clients must use path-style addressing
//! (`force_path_style(true)` in the Rust SDK), since loopback has no bucket host names.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::state::State;
use crate::world::World;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct S3State {
    /// Object bodies by bucket, then key.
    pub buckets: BTreeMap<String, BTreeMap<String, String>>,
}

pub fn seed(state: &mut State, world: &World) {
    for o in &world.s3 {
        state
            .s3
            .buckets
            .entry(o.bucket.clone())
            .or_default()
            .insert(o.key.clone(), o.body.clone().unwrap_or_default());
    }
}

/// An S3 answer: status, content type, body.
pub struct S3Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub error_code: Option<&'static str>,
}

/// Answers `GET /bucket/key` (`head` for HEAD: same status, no body).
pub fn get_object(state: &State, path: &str, head: bool) -> S3Response {
    let path = path.split('?').next().unwrap_or_default();
    let path = percent_decode(path.trim_start_matches('/'));
    let (bucket, key) = path.split_once('/').unwrap_or((path.as_str(), ""));
    let error = |code: &'static str, message: &str, resource: &str| S3Response {
        status: 404,
        content_type: "application/xml",
        body: if head {
            Vec::new()
        } else {
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>{resource}<RequestId>0000000000000000</RequestId></Error>"
            )
            .into_bytes()
        },
        error_code: Some(code),
    };
    let Some(objects) = state.s3.buckets.get(bucket) else {
        return error(
            "NoSuchBucket",
            "The specified bucket does not exist",
            &format!("<BucketName>{}</BucketName>", xml_escape(bucket)),
        );
    };
    match objects.get(key) {
        Some(body) => S3Response {
            status: 200,
            content_type: "application/octet-stream",
            body: if head {
                Vec::new()
            } else {
                body.clone().into_bytes()
            },
            error_code: None,
        },
        None => error(
            "NoSuchKey",
            "The specified key does not exist.",
            &format!("<Key>{}</Key>", xml_escape(key)),
        ),
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(h);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
