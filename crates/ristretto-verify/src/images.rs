//! Whether a container image exists, and has a manifest for the platform the task runs on.
//!
//! ECR images (`<account>.dkr.ecr.<region>.amazonaws.com/…`) are asked of the ECR API in
//! their own region (BatchGetImage; the config blob of a single-platform image through
//! GetDownloadUrlForLayer); every other registry through the Docker Registry HTTP API v2 with
//! an anonymous token (`oci-client`), as `docker pull` of a public image does.

use aws_config::{Region, SdkConfig};
use aws_sdk_ecr::types::ImageIdentifier;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use ristretto_core::aws_error::AwsError;
use serde_json::Value;

use crate::Verdict;

/// OCI image-spec and Docker media types accepted for a manifest.
const ACCEPTED: [&str; 4] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

/// How registries other than ECR are reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryAccess {
    /// Each registry at its own address, over HTTPS.
    Direct,
    /// Every registry through one Docker Registry v2 endpoint (`host:port`, plain HTTP) that
    /// serves each registry's repositories under its host name: the local simulator.
    Via(String),
}

/// `os/architecture` the task needs, in OCI's words (`linux/amd64`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)
    }
}

/// `(account, region)` of an ECR registry host.
fn ecr_host(host: &str) -> Option<(&str, &str)> {
    let mut parts = host.split('.');
    let account = parts.next()?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if parts.next()? != "dkr" || parts.next()? != "ecr" {
        return None;
    }
    let region = parts.next()?;
    (parts.next()? == "amazonaws").then_some((account, region))
}

/// Checks `image`; `platform` is what the task runs on, when it is known.
pub async fn check(
    sdk: &SdkConfig,
    access: &RegistryAccess,
    image: &str,
    platform: Option<&Platform>,
    private: bool,
) -> Verdict {
    let reference: Reference = match image.parse() {
        Ok(r) => r,
        Err(e) => return Verdict::Ng(format!("`{image}` is not an image reference: {e}")),
    };
    let found = match ecr_host(reference.registry()) {
        Some((account, region)) => ecr_manifest(sdk, &reference, account, region).await,
        None => registry_manifest(access, &reference).await,
    };
    let (manifest, config) = match found {
        Ok(found) => found,
        Err(Found::Missing(why)) => return Verdict::Ng(why),
        Err(Found::Unknowable(why)) => {
            return if private {
                Verdict::Skip(format!(
                    "{why}; the image is pulled with `repositoryCredentials`, which verify does not use"
                ))
            } else {
                Verdict::Ng(why)
            };
        }
        Err(Found::Skip(why)) => return Verdict::Skip(why),
    };
    let Some(want) = platform else {
        return Verdict::Ok;
    };
    let offered = platforms(&manifest, config.as_ref());
    if offered.is_empty() || offered.contains(want) {
        Verdict::Ok
    } else {
        let list: Vec<String> = offered.iter().map(ToString::to_string).collect();
        Verdict::Ng(format!(
            "the image has no {want} variant (it has {}); the task runs on {want}: build the image for it, or set `runtimePlatform` to one it has",
            list.join(", ")
        ))
    }
}

/// Why a manifest could not be had.
enum Found {
    /// The image (or its tag) does not exist.
    Missing(String),
    /// The registry would not say (authentication needed).
    Unknowable(String),
    /// Not checked (rate limit, …).
    Skip(String),
}

/// The platforms an index lists, or the one an image's config blob names.
fn platforms(manifest: &Value, config: Option<&Value>) -> Vec<Platform> {
    let of = |v: &Value| {
        Some(Platform {
            os: v["os"].as_str()?.to_owned(),
            architecture: v["architecture"].as_str()?.to_owned(),
        })
    };
    match manifest["manifests"].as_array() {
        Some(list) => list.iter().filter_map(|m| of(&m["platform"])).collect(),
        None => config.and_then(of).into_iter().collect(),
    }
}

async fn ecr_manifest(
    sdk: &SdkConfig,
    reference: &Reference,
    account: &str,
    region: &str,
) -> Result<(Value, Option<Value>), Found> {
    let config = aws_sdk_ecr::config::Builder::from(sdk)
        .region(Region::new(region.to_owned()))
        .build();
    let ecr = aws_sdk_ecr::Client::from_conf(config);
    let id = ImageIdentifier::builder()
        .set_image_tag(reference.tag().map(str::to_owned))
        .set_image_digest(reference.digest().map(str::to_owned))
        .build();
    let out = ecr
        .batch_get_image()
        .registry_id(account)
        .repository_name(reference.repository())
        .image_ids(id)
        .set_accepted_media_types(Some(ACCEPTED.iter().map(|s| (*s).to_owned()).collect()))
        .send()
        .await
        .map_err(|e| {
            let e = AwsError::from_sdk("BatchGetImage", e);
            match e.code.as_deref() {
                Some("RepositoryNotFoundException") => Found::Missing(format!(
                    "ECR repository `{}` does not exist in {region} (account {account})",
                    reference.repository()
                )),
                _ => Found::Missing(aws_reason(&e)),
            }
        })?;
    let Some(image) = out.images().first() else {
        let why = out
            .failures()
            .first()
            .and_then(|f| f.failure_reason())
            .unwrap_or("not found");
        return Err(Found::Missing(format!(
            "{} is not in ECR repository `{}` ({region}): {why}",
            reference.tag().map_or_else(
                || reference.digest().unwrap_or_default().to_owned(),
                |t| format!("tag `{t}`")
            ),
            reference.repository()
        )));
    };
    let manifest: Value = serde_json::from_str(image.image_manifest().unwrap_or("{}"))
        .map_err(|e| Found::Skip(format!("ECR returned a manifest that is not JSON: {e}")))?;
    if manifest["manifests"].is_array() {
        return Ok((manifest, None));
    }
    let Some(config_digest) = manifest["config"]["digest"].as_str() else {
        return Err(Found::Skip(
            "the manifest names no config (an old schema 1 image); platform not checked".to_owned(),
        ));
    };
    let url = ecr
        .get_download_url_for_layer()
        .registry_id(account)
        .repository_name(reference.repository())
        .layer_digest(config_digest)
        .send()
        .await
        .map_err(|e| {
            Found::Skip(format!(
                "its config cannot be read: {}",
                aws_reason(&AwsError::from_sdk("GetDownloadUrlForLayer", e))
            ))
        })?;
    let config = match url.download_url() {
        Some(url) => fetch_json(url).await.map_err(Found::Skip)?,
        None => {
            return Err(Found::Skip(
                "ECR gave no download URL for its config".to_owned(),
            ));
        }
    };
    Ok((manifest, Some(config)))
}

async fn fetch_json(url: &str) -> Result<Value, String> {
    let response = reqwest::get(url)
        .await
        .map_err(|e| format!("its config cannot be downloaded: {e}"))?;
    if !response.status().is_success() {
        return Err(format!(
            "its config cannot be downloaded: HTTP {}",
            response.status()
        ));
    }
    response
        .json()
        .await
        .map_err(|e| format!("its config is not JSON: {e}"))
}

async fn registry_manifest(
    access: &RegistryAccess,
    reference: &Reference,
) -> Result<(Value, Option<Value>), Found> {
    let (client, target) = match access {
        RegistryAccess::Direct => (Client::new(ClientConfig::default()), reference.clone()),
        RegistryAccess::Via(host) => {
            let repository = format!("{}/{}", reference.registry(), reference.repository());
            let target = match (reference.tag(), reference.digest()) {
                (_, Some(d)) => Reference::with_digest(host.clone(), repository, d.to_owned()),
                (Some(t), None) => Reference::with_tag(host.clone(), repository, t.to_owned()),
                (None, None) => Reference::with_tag(host.clone(), repository, "latest".to_owned()),
            };
            let config = ClientConfig {
                protocol: ClientProtocol::Http,
                ..ClientConfig::default()
            };
            (Client::new(config), target)
        }
    };
    let auth = RegistryAuth::Anonymous;
    let (bytes, _digest) = client
        .pull_manifest_raw(&target, &auth, &ACCEPTED)
        .await
        .map_err(|e| registry_failure(reference, &e))?;
    let manifest: Value = serde_json::from_slice(&bytes).map_err(|e| {
        Found::Skip(format!(
            "the registry returned a manifest that is not JSON: {e}"
        ))
    })?;
    if manifest["manifests"].is_array() {
        return Ok((manifest, None));
    }
    let Some(config_digest) = manifest["config"]["digest"].as_str() else {
        return Err(Found::Skip(
            "the manifest names no config (an old schema 1 image); platform not checked".to_owned(),
        ));
    };
    let mut blob = Vec::new();
    client
        .pull_blob(&target, config_digest, &mut blob)
        .await
        .map_err(|e| Found::Skip(format!("its config cannot be read: {e}")))?;
    let config = serde_json::from_slice(&blob)
        .map_err(|e| Found::Skip(format!("its config is not JSON: {e}")))?;
    Ok((manifest, Some(config)))
}

fn registry_failure(reference: &Reference, e: &OciDistributionError) -> Found {
    let registry = reference.registry();
    match e {
        OciDistributionError::ImageManifestNotFoundError(_) => Found::Missing(format!(
            "no manifest for `{}` in {registry}: the tag was never pushed, or was deleted",
            reference.whole()
        )),
        OciDistributionError::RegistryError { envelope, .. } => {
            let codes: Vec<String> = envelope
                .errors
                .iter()
                .map(|err| format!("{:?}", err.code))
                .collect();
            let text = codes.join(", ").to_ascii_uppercase();
            if text.contains("MANIFEST") || text.contains("NAME") {
                Found::Missing(format!(
                    "`{}` does not exist in {registry} ({})",
                    reference.whole(),
                    codes.join(", ")
                ))
            } else if text.contains("TOOMANYREQUESTS") {
                Found::Skip(format!(
                    "{registry} limits anonymous pulls right now; not checked"
                ))
            } else if text.contains("UNAUTHORIZED") || text.contains("DENIED") {
                Found::Unknowable(format!(
                    "{registry} refuses an anonymous pull of `{}` (private, or does not exist)",
                    reference.whole()
                ))
            } else {
                Found::Missing(format!("{registry}: {}", codes.join(", ")))
            }
        }
        OciDistributionError::UnauthorizedError { .. }
        | OciDistributionError::AuthenticationFailure(_) => Found::Unknowable(format!(
            "{registry} refuses an anonymous pull of `{}` (private, or does not exist)",
            reference.whole()
        )),
        OciDistributionError::ServerError { code: 429, .. } => Found::Skip(format!(
            "{registry} limits anonymous pulls right now; not checked"
        )),
        OciDistributionError::ServerError { code: 404, .. } => Found::Missing(format!(
            "`{}` does not exist in {registry}",
            reference.whole()
        )),
        other => Found::Missing(format!("{registry} cannot be asked: {other}")),
    }
}

/// An AWS error as an NG reason: the code and AWS's message.
pub(crate) fn aws_reason(e: &AwsError) -> String {
    match &e.code {
        Some(code) => format!("{code}: {}", e.message),
        None => e.message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_hosts_are_recognised_with_account_and_region() {
        assert_eq!(
            ecr_host("123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
            Some(("123456789012", "eu-west-1"))
        );
        assert_eq!(ecr_host("docker.io"), None);
        assert_eq!(ecr_host("public.ecr.aws"), None);
        assert_eq!(ecr_host("12345.dkr.ecr.eu-west-1.amazonaws.com"), None);
    }

    #[test]
    fn platforms_come_from_the_index_or_the_config() {
        let index = serde_json::json!({"manifests": [
            {"platform": {"os": "linux", "architecture": "amd64"}},
            {"platform": {"os": "linux", "architecture": "arm64"}}
        ]});
        assert_eq!(platforms(&index, None).len(), 2);
        let manifest = serde_json::json!({"config": {"digest": "sha256:x"}});
        let config = serde_json::json!({"os": "linux", "architecture": "arm64"});
        assert_eq!(
            platforms(&manifest, Some(&config)),
            [Platform {
                os: "linux".to_owned(),
                architecture: "arm64".to_owned()
            }]
        );
    }
}
