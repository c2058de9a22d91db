//! The awsQuery wire protocol of ELBv2: a form-encoded POST body (`Action=…&Version=2015-12-01`,
//! lists as `Names.member.1`, structures as `Targets.member.1.Id`) in, XML out (`<ActionResponse>`
//! with `<ActionResult>` and `<ResponseMetadata>`, or `<ErrorResponse>`), written with
//! `aws-smithy-xml`'s writer, which escapes every value.

use std::collections::BTreeMap;

use aws_smithy_xml::encode::{ScopeWriter, XmlWriter};

use crate::error::ApiError;

/// The XML namespace of the ELBv2 API (version 2015-12-01).
pub(crate) const NAMESPACE: &str = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/";

/// The parameters of one request, in the order sent.
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn parse(body: &[u8]) -> Params {
        Params(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A list of strings (`Names.member.1`, `Names.member.2`, …), in index order.
    pub(crate) fn list(&self, name: &str) -> Vec<&str> {
        let prefix = format!("{name}.member.");
        let mut items: Vec<(u32, &str)> = self
            .0
            .iter()
            .filter_map(|(k, v)| {
                let index = k.strip_prefix(&prefix)?.parse().ok()?;
                Some((index, v.as_str()))
            })
            .collect();
        items.sort_by_key(|(i, _)| *i);
        items.into_iter().map(|(_, v)| v).collect()
    }

    /// A list of structures (`Targets.member.1.Id`, `Targets.member.1.Port`, …), in index
    /// order, each as its members by name.
    pub(crate) fn structs(&self, name: &str) -> Vec<BTreeMap<&str, &str>> {
        let prefix = format!("{name}.member.");
        let mut items: BTreeMap<u32, BTreeMap<&str, &str>> = BTreeMap::new();
        for (k, v) in &self.0 {
            let Some(rest) = k.strip_prefix(&prefix) else {
                continue;
            };
            let Some((index, member)) = rest.split_once('.') else {
                continue;
            };
            if let Ok(index) = index.parse() {
                items.entry(index).or_default().insert(member, v.as_str());
            }
        }
        items.into_values().collect()
    }
}

/// The action a request body names (`Action=…`), if any.
pub fn action_of(body: &[u8]) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v.into_owned())
}

/// Writes `<tag>value</tag>`.
pub(crate) fn leaf(w: &mut ScopeWriter<'_, '_>, tag: &str, value: &str) {
    let mut el = w.start_el(tag).finish();
    el.data(value);
}

/// The answer to `action`: its result element filled by `result`, then the request ID.
pub(crate) fn response(
    action: &str,
    request_id: &str,
    result: impl FnOnce(&mut ScopeWriter<'_, '_>),
) -> String {
    response_in(NAMESPACE, action, request_id, result)
}

/// [`response`] for another awsQuery service (IAM, STS): its own XML namespace.
pub(crate) fn response_in(
    namespace: &str,
    action: &str,
    request_id: &str,
    result: impl FnOnce(&mut ScopeWriter<'_, '_>),
) -> String {
    let mut doc = String::new();
    let mut writer = XmlWriter::new(&mut doc);
    let root_tag = format!("{action}Response");
    let result_tag = format!("{action}Result");
    let mut root = writer
        .start_el(&root_tag)
        .write_ns(namespace, None)
        .finish();
    let mut inner = root.start_el(&result_tag).finish();
    result(&mut inner);
    inner.finish();
    let mut meta = root.start_el("ResponseMetadata").finish();
    leaf(&mut meta, "RequestId", request_id);
    meta.finish();
    root.finish();
    doc
}

/// An awsQuery error document (ELBv2 API reference, Common Errors: `Type` is `Sender` for a
/// client error, `Receiver` for a server one).
pub fn error_body(err: &ApiError, request_id: &str) -> String {
    error_body_in(NAMESPACE, err, request_id)
}

/// [`error_body`] for another awsQuery service (IAM, STS).
pub fn error_body_in(namespace: &str, err: &ApiError, request_id: &str) -> String {
    let mut doc = String::new();
    let mut writer = XmlWriter::new(&mut doc);
    let mut root = writer
        .start_el("ErrorResponse")
        .write_ns(namespace, None)
        .finish();
    let mut error = root.start_el("Error").finish();
    leaf(
        &mut error,
        "Type",
        if err.status >= 500 {
            "Receiver"
        } else {
            "Sender"
        },
    );
    leaf(&mut error, "Code", &err.code);
    leaf(&mut error, "Message", &err.message);
    error.finish();
    leaf(&mut root, "RequestId", request_id);
    root.finish();
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_structures_are_read_in_index_order() {
        let p = Params::parse(
            b"Action=DescribeTargetHealth&Names.member.2=b&Names.member.1=a%2Fx\
              &Targets.member.1.Id=10.0.0.1&Targets.member.1.Port=80&Targets.member.2.Id=i-1",
        );
        assert_eq!(p.get("Action"), Some("DescribeTargetHealth"));
        assert_eq!(p.list("Names"), ["a/x", "b"]);
        let t = p.structs("Targets");
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].get("Port"), Some(&"80"));
        assert_eq!(t[1].get("Id"), Some(&"i-1"));
    }

    #[test]
    fn values_are_escaped() {
        let xml = response("DescribeX", "id", |w| leaf(w, "Name", "a<b&\"c\""));
        assert!(
            xml.contains("<Name>a&lt;b&amp;&quot;c&quot;</Name>"),
            "{xml}"
        );
        assert!(xml.starts_with("<DescribeXResponse xmlns=\"http://elasticloadbalancing"));
    }
}
