//! Container images: the world file's `images:` served by the ECR API (`ecr.*`: BatchGetImage,
//! GetDownloadUrlForLayer) for ECR repositories, and by a small Docker Registry HTTP API v2
//! for every other registry, with the anonymous bearer-token flow Docker Hub uses.
//!
//! The registry answers under `/v2/<registry host>/<repository>/…`: a client that talks to the
//! simulator instead of the real registry puts the registry's host in front of the repository
//! (`docker.io/library/nginx` becomes repository `docker.io/library/nginx` of the simulator),
//! so images of different registries never mix.
//!
//! Manifests are generated from each image's platforms, with real SHA-256 digests (clients
//! check them): one platform gives an OCI image manifest whose config blob names the os and
//! architecture; several give an OCI image index of such manifests.

use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};
use crate::state::{Ctx, State};
use crate::world::ImageSeed;

/// OCI image spec media types (image-spec `media-types.md`).
pub const INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const CONFIG: &str = "application/vnd.oci.image.config.v1+json";

/// The path the registry's token endpoint answers on (the realm of its `WWW-Authenticate`).
pub const TOKEN_PATH: &str = "/registry-token";
/// Where ECR's GetDownloadUrlForLayer points: blobs served without a token, like the
/// pre-signed URLs ECR returns.
pub const LAYER_PATH: &str = "/ecr-layer";

/// An image reference split as Docker does (distribution `reference` grammar): the registry
/// host (Docker Hub's when the first component is not a host), the repository (`library/` in
/// front of a Docker Hub name without a namespace), and the tag (default `latest`) or digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    pub fn parse(image: &str) -> ImageRef {
        let (rest, digest) = match image.split_once('@') {
            Some((r, d)) => (r, Some(d.to_owned())),
            None => (image, None),
        };
        let (registry, path) = match rest.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_owned(), path.to_owned())
            }
            _ => ("docker.io".to_owned(), rest.to_owned()),
        };
        let (repository, tag) = match path.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => (repo.to_owned(), Some(tag.to_owned())),
            _ => (path, None),
        };
        let repository = if registry == "docker.io" && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        let tag = tag.or_else(|| digest.is_none().then(|| "latest".to_owned()));
        ImageRef {
            registry,
            repository,
            tag,
            digest,
        }
    }

    /// `(account, region)` of an ECR registry host
    /// (`<account>.dkr.ecr.<region>.amazonaws.com`).
    pub fn ecr(&self) -> Option<(&str, &str)> {
        let mut parts = self.registry.split('.');
        let account = parts.next()?;
        if parts.next()? != "dkr" || parts.next()? != "ecr" {
            return None;
        }
        let region = parts.next()?;
        Some((account, region))
    }
}

/// What a registry stores for one image: the top manifest and every manifest and blob below it.
struct Stored {
    media_type: &'static str,
    manifest: Vec<u8>,
    /// Digest → (media type, body) of the platform manifests and config blobs.
    parts: Vec<(String, &'static str, Vec<u8>)>,
}

fn digest(body: &[u8]) -> String {
    let hash = Sha256::digest(body);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

fn platforms(seed: &ImageSeed) -> Vec<(String, String)> {
    let list = if seed.platforms.is_empty() {
        vec!["linux/amd64".to_owned()]
    } else {
        seed.platforms.clone()
    };
    list.iter()
        .map(|p| match p.split_once('/') {
            Some((os, arch)) => (os.to_owned(), arch.to_owned()),
            None => ("linux".to_owned(), p.clone()),
        })
        .collect()
}

fn stored(seed: &ImageSeed) -> Stored {
    let mut parts = Vec::new();
    let mut manifests = Vec::new();
    for (os, arch) in platforms(seed) {
        let config = serde_json::to_vec(&json!({
            "architecture": arch,
            "os": os,
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": []}
        }))
        .unwrap_or_default();
        let config_digest = digest(&config);
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": {"mediaType": CONFIG, "digest": config_digest, "size": config.len()},
            "layers": []
        }))
        .unwrap_or_default();
        let manifest_digest = digest(&manifest);
        manifests.push(json!({
            "mediaType": MANIFEST,
            "digest": manifest_digest,
            "size": manifest.len(),
            "platform": {"architecture": arch, "os": os}
        }));
        parts.push((config_digest, CONFIG, config));
        parts.push((manifest_digest, MANIFEST, manifest));
    }
    if manifests.len() == 1 {
        let (_, _, manifest) = parts.pop().unwrap_or_default();
        return Stored {
            media_type: MANIFEST,
            manifest,
            parts,
        };
    }
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": INDEX,
        "manifests": manifests
    }))
    .unwrap_or_default();
    Stored {
        media_type: INDEX,
        manifest: index,
        parts,
    }
}

/// The stored image `registry/repository` whose tag or top manifest digest is `reference`.
fn find(state: &State, registry: &str, repository: &str, reference: &str) -> Option<Stored> {
    state.rules.images.iter().find_map(|seed| {
        let r = ImageRef::parse(&seed.image);
        if r.registry != registry || r.repository != repository {
            return None;
        }
        let s = stored(seed);
        (r.tag.as_deref() == Some(reference) || digest(&s.manifest) == reference).then_some(s)
    })
}

fn repository_exists(state: &State, registry: &str, repository: &str) -> bool {
    state.rules.images.iter().any(|seed| {
        let r = ImageRef::parse(&seed.image);
        r.registry == registry && r.repository == repository
    })
}

/// A manifest or blob stored under `registry/repository` by digest.
fn part(
    state: &State,
    registry: &str,
    repository: &str,
    want: &str,
) -> Option<(&'static str, Vec<u8>)> {
    state.rules.images.iter().find_map(|seed| {
        let r = ImageRef::parse(&seed.image);
        if r.registry != registry || r.repository != repository {
            return None;
        }
        stored(seed)
            .parts
            .into_iter()
            .find(|(d, _, _)| d == want)
            .map(|(_, media, body)| (media, body))
    })
}

// ---------------------------------------------------------------------------------------------
// ECR API

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ImageId {
    image_tag: Option<String>,
    image_digest: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct EcrInput {
    registry_id: Option<String>,
    repository_name: Option<String>,
    image_ids: Vec<ImageId>,
    layer_digest: Option<String>,
}

/// Handles one ECR operation; `host` is the `Host` the request came to (download URLs point
/// back at the simulator). `None` when the operation is not simulated.
pub fn handle_ecr(
    state: &State,
    ctx: &Ctx,
    op: &str,
    body: &[u8],
    host: &str,
) -> Option<ApiResult> {
    let input = || -> Result<EcrInput, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(EcrInput::default());
        }
        serde_json::from_slice(body).map_err(|e| ApiError::serialization(e.to_string()))
    };
    Some(match op {
        "BatchGetImage" => input().and_then(|i| batch_get_image(state, ctx, &i)),
        "GetDownloadUrlForLayer" => input().and_then(|i| download_url(state, ctx, &i, host)),
        _ => return None,
    })
}

/// The registry host of an ECR repository of the request's account and region.
fn ecr_registry(ctx: &Ctx, input: &EcrInput) -> (String, String) {
    let account = input
        .registry_id
        .clone()
        .unwrap_or_else(|| ctx.account.clone());
    let host = format!("{account}.dkr.ecr.{}.amazonaws.com", ctx.region);
    (account, host)
}

/// ECR API reference, BatchGetImage / Errors: RepositoryNotFoundException.
fn repository_not_found(name: &str, account: &str) -> ApiError {
    ApiError::new(
        "RepositoryNotFoundException",
        format!(
            "The repository with name '{name}' does not exist in the registry with id '{account}'"
        ),
    )
}

fn batch_get_image(state: &State, ctx: &Ctx, input: &EcrInput) -> ApiResult {
    let (account, host) = ecr_registry(ctx, input);
    let repository = input.repository_name.clone().unwrap_or_default();
    if !repository_exists(state, &host, &repository) {
        return Err(repository_not_found(&repository, &account));
    }
    let mut images = Vec::new();
    let mut failures = Vec::new();
    for id in &input.image_ids {
        let reference = id
            .image_tag
            .as_deref()
            .or(id.image_digest.as_deref())
            .unwrap_or_default();
        match find(state, &host, &repository, reference) {
            Some(s) => images.push(json!({
                "registryId": account,
                "repositoryName": repository,
                "imageId": {
                    "imageTag": id.image_tag,
                    "imageDigest": digest(&s.manifest),
                },
                "imageManifest": String::from_utf8_lossy(&s.manifest),
                "imageManifestMediaType": s.media_type,
            })),
            // ECR API reference, ImageFailure: failureCode ImageNotFound / ImageTagDoesNotMatchDigest.
            None => failures.push(json!({
                "imageId": {"imageTag": id.image_tag, "imageDigest": id.image_digest},
                "failureCode": "ImageNotFound",
                "failureReason": "Requested image not found",
            })),
        }
    }
    Ok(json!({"images": images, "failures": failures})
        .to_string()
        .into_bytes())
}

fn download_url(state: &State, ctx: &Ctx, input: &EcrInput, host: &str) -> ApiResult {
    let (account, registry) = ecr_registry(ctx, input);
    let repository = input.repository_name.clone().unwrap_or_default();
    if !repository_exists(state, &registry, &repository) {
        return Err(repository_not_found(&repository, &account));
    }
    let layer = input.layer_digest.clone().unwrap_or_default();
    if part(state, &registry, &repository, &layer).is_none() {
        // ECR API reference, GetDownloadUrlForLayer / Errors: LayersNotFoundException.
        return Err(ApiError::new(
            "LayersNotFoundException",
            format!(
                "The specified layer {layer} could not be found in the repository {repository}"
            ),
        ));
    }
    Ok(json!({
        // On AWS a pre-signed S3 URL that needs no other credentials; here a path of the
        // simulator's that serves the blob without the registry's token.
        "downloadUrl": format!("http://{host}{LAYER_PATH}/{registry}/{repository}/blobs/{layer}"),
        "layerDigest": layer,
    })
    .to_string()
    .into_bytes())
}

// ---------------------------------------------------------------------------------------------
// Docker Registry HTTP API v2

/// One registry answer.
pub struct RegistryAnswer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

fn registry_error(status: u16, code: &str, message: &str) -> RegistryAnswer {
    RegistryAnswer {
        status,
        headers: vec![("content-type", "application/json".to_owned())],
        body: json!({"errors": [{"code": code, "message": message}]})
            .to_string()
            .into_bytes(),
    }
}

/// Answers a registry request: `GET /v2/`, `GET|HEAD /v2/<name>/manifests/<reference>`,
/// `GET /v2/<name>/blobs/<digest>`, and the token endpoint. Every `/v2/` request without a
/// bearer token is answered 401 with the challenge that names the token endpoint (Docker
/// Registry token authentication specification), as Docker Hub does for anonymous pulls.
pub fn registry(
    state: &State,
    path: &str,
    head: bool,
    authorized: bool,
    host: &str,
) -> RegistryAnswer {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    if path == TOKEN_PATH {
        let _ = query;
        return RegistryAnswer {
            status: 200,
            headers: vec![("content-type", "application/json".to_owned())],
            body: json!({"token": "anonymous", "access_token": "anonymous", "expires_in": 300})
                .to_string()
                .into_bytes(),
        };
    }
    let (rest, authorized) = match (path.strip_prefix("/v2/"), path.strip_prefix(LAYER_PATH)) {
        (Some(rest), _) => (rest, authorized),
        (None, Some(rest)) if rest.contains("/blobs/") => (rest.trim_start_matches('/'), true),
        _ => {
            return registry_error(404, "NAME_UNKNOWN", "repository name not known to registry");
        }
    };
    if !authorized {
        let scope = rest
            .rsplit_once("/manifests/")
            .or_else(|| rest.rsplit_once("/blobs/"))
            .map(|(name, _)| format!(",scope=\"repository:{name}:pull\""))
            .unwrap_or_default();
        let mut answer = registry_error(401, "UNAUTHORIZED", "authentication required");
        answer.headers.push((
            "www-authenticate",
            format!("Bearer realm=\"http://{host}{TOKEN_PATH}\",service=\"ristretto-sim\"{scope}"),
        ));
        return answer;
    }
    if rest.is_empty() {
        return RegistryAnswer {
            status: 200,
            headers: vec![("content-type", "application/json".to_owned())],
            body: b"{}".to_vec(),
        };
    }
    let (name, kind, reference) = if let Some((name, r)) = rest.rsplit_once("/manifests/") {
        (name, "manifests", r)
    } else if let Some((name, r)) = rest.rsplit_once("/blobs/") {
        (name, "blobs", r)
    } else {
        return registry_error(404, "NAME_UNKNOWN", "repository name not known to registry");
    };
    let Some((registry, repository)) = name.split_once('/') else {
        return registry_error(404, "NAME_UNKNOWN", "repository name not known to registry");
    };
    if !repository_exists(state, registry, repository) {
        return registry_error(404, "NAME_UNKNOWN", "repository name not known to registry");
    }
    let found = if kind == "manifests" {
        find(state, registry, repository, reference)
            .map(|s| (s.media_type, s.manifest))
            .or_else(|| {
                part(state, registry, repository, reference).filter(|(m, _)| *m == MANIFEST)
            })
    } else {
        part(state, registry, repository, reference)
    };
    match found {
        Some((media_type, body)) => RegistryAnswer {
            status: 200,
            headers: vec![
                ("content-type", media_type.to_owned()),
                ("docker-content-digest", digest(&body)),
                ("content-length", body.len().to_string()),
            ],
            body: if head { Vec::new() } else { body },
        },
        None if kind == "manifests" => registry_error(404, "MANIFEST_UNKNOWN", "manifest unknown"),
        None => registry_error(404, "BLOB_UNKNOWN", "blob unknown to registry"),
    }
}

/// Whether a request path belongs to the registry.
pub fn is_registry_path(path: &str) -> bool {
    path == "/v2"
        || path.starts_with("/v2/")
        || path.starts_with(TOKEN_PATH)
        || path.starts_with(LAYER_PATH)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    // Docker's reference grammar (distribution/reference): Docker Hub names get `library/`,
    // a first component with a dot, a colon or `localhost` is a registry host.
    #[test]
    fn references_are_split_as_docker_does() {
        let r = ImageRef::parse("nginx");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("docker.io", "library/nginx", Some("latest"))
        );
        let r = ImageRef::parse("ghcr.io/org/app:1.2");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("ghcr.io", "org/app")
        );
        let r = ImageRef::parse("localhost:5000/app@sha256:ab");
        assert_eq!(r.registry, "localhost:5000");
        assert_eq!((r.tag, r.digest.as_deref()), (None, Some("sha256:ab")));
        let r = ImageRef::parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:v1");
        assert_eq!(r.ecr(), Some(("123456789012", "eu-west-1")));
        assert_eq!(ImageRef::parse("fluent/fluent-bit:3").ecr(), None);
    }

    // Docker Registry token authentication specification: an anonymous request is answered
    // 401 with a Bearer challenge naming the token endpoint; with the token, the manifest
    // (OCI distribution spec, "Pulling manifests": Docker-Content-Digest header, 404
    // MANIFEST_UNKNOWN / NAME_UNKNOWN codes).
    #[test]
    fn anonymous_pulls_get_a_challenge_then_the_manifest() {
        let kit = crate::testkit::Kit::new("images: [{image: nginx:1.27}]\n");
        let path = "/v2/docker.io/library/nginx/manifests/1.27";
        let challenge = registry(&kit.state, path, false, false, "127.0.0.1:9");
        assert_eq!(challenge.status, 401);
        let (_, www) = challenge
            .headers
            .iter()
            .find(|(k, _)| *k == "www-authenticate")
            .expect("challenge");
        assert!(
            www.starts_with("Bearer realm=\"http://127.0.0.1:9/registry-token\"")
                && www.contains("scope=\"repository:docker.io/library/nginx:pull\""),
            "{www}"
        );
        let token = registry(&kit.state, "/registry-token?scope=x", false, false, "h");
        assert_eq!(token.status, 200);
        let found = registry(&kit.state, path, false, true, "h");
        assert_eq!(found.status, 200);
        let digest_header = found
            .headers
            .iter()
            .find(|(k, _)| *k == "docker-content-digest")
            .map(|(_, v)| v.clone());
        assert_eq!(digest_header, Some(digest(&found.body)));
        let missing = registry(
            &kit.state,
            "/v2/docker.io/library/nginx/manifests/9",
            false,
            true,
            "h",
        );
        assert_eq!(missing.status, 404);
        assert!(String::from_utf8_lossy(&missing.body).contains("MANIFEST_UNKNOWN"));
        let unknown = registry(
            &kit.state,
            "/v2/docker.io/library/httpd/manifests/1",
            false,
            true,
            "h",
        );
        assert!(String::from_utf8_lossy(&unknown.body).contains("NAME_UNKNOWN"));
    }

    // OCI image spec (image-index.md, manifest.md): several platforms make an index whose
    // entries name each platform; digests are the SHA-256 of the bytes served.
    #[test]
    fn several_platforms_make_an_index_and_one_a_manifest_with_its_config() {
        let multi = stored(&ImageSeed {
            image: "nginx:1".to_owned(),
            platforms: vec!["linux/amd64".to_owned(), "linux/arm64".to_owned()],
        });
        assert_eq!(multi.media_type, INDEX);
        let index: Value = serde_json::from_slice(&multi.manifest).expect("json");
        assert_eq!(index["manifests"][1]["platform"]["architecture"], "arm64");
        let first = index["manifests"][0]["digest"].as_str().expect("digest");
        let (_, _, body) = multi
            .parts
            .iter()
            .find(|(d, _, _)| d == first)
            .expect("part");
        assert_eq!(digest(body), first);

        let single = stored(&ImageSeed {
            image: "nginx:1".to_owned(),
            platforms: vec![],
        });
        assert_eq!(single.media_type, MANIFEST);
        let manifest: Value = serde_json::from_slice(&single.manifest).expect("json");
        let config = manifest["config"]["digest"].as_str().expect("config");
        let (_, _, body) = single
            .parts
            .iter()
            .find(|(d, _, _)| d == config)
            .expect("config blob");
        let config: Value = serde_json::from_slice(body).expect("json");
        assert_eq!(
            (config["os"].as_str(), config["architecture"].as_str()),
            (Some("linux"), Some("amd64"))
        );
    }
}
