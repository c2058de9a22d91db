//! Shared helpers: an in-memory `AwsLookups` and renderer builders.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;

use ristretto_template::{
    AwsLookups, Functions, LookupError, MapEnv, PluginSpec, Position, Renderer, SsmParameter,
    SsmParameterType,
};

/// AWS as a few maps; counts calls so caching can be asserted.
#[derive(Default)]
pub struct FakeAws {
    pub ssm: BTreeMap<String, SsmParameter>,
    pub secrets: BTreeMap<String, String>,
    pub outputs: BTreeMap<(String, String), String>,
    pub exports: BTreeMap<String, String>,
    pub objects: BTreeMap<(String, String), Vec<u8>>,
    pub calls: Mutex<Vec<String>>,
}

impl FakeAws {
    pub fn standard() -> Self {
        let mut aws = Self::default();
        aws.ssm.insert(
            "/string".into(),
            SsmParameter {
                kind: SsmParameterType::String,
                value: "plain".into(),
            },
        );
        aws.ssm.insert(
            "/secure".into(),
            SsmParameter {
                kind: SsmParameterType::SecureString,
                value: "s3cr3t".into(),
            },
        );
        aws.ssm.insert(
            "/list".into(),
            SsmParameter {
                kind: SsmParameterType::StringList,
                value: "a,b,c".into(),
            },
        );
        aws.secrets.insert(
            "ecspresso-test/baz".into(),
            "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:ecspresso-test/baz-AbCdEf"
                .into(),
        );
        aws.outputs
            .insert(("stack".into(), "Key".into()), "output-value".into());
        aws.exports.insert("Name".into(), "export-value".into());
        aws
    }

    fn record(&self, call: String) {
        self.calls.lock().unwrap().push(call);
    }

    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

impl AwsLookups for FakeAws {
    fn ssm_parameter(&self, name: &str) -> Result<SsmParameter, LookupError> {
        self.record(format!("ssm {name}"));
        self.ssm
            .get(name)
            .cloned()
            .ok_or_else(|| LookupError::new(format!("ParameterNotFound: {name}")))
    }
    fn secret_arn(&self, id: &str) -> Result<String, LookupError> {
        self.record(format!("secret {id}"));
        self.secrets
            .get(id)
            .cloned()
            .ok_or_else(|| LookupError::new("ResourceNotFoundException"))
    }
    fn cfn_output(&self, stack: &str, key: &str) -> Result<String, LookupError> {
        self.record(format!("cfn_output {stack} {key}"));
        self.outputs
            .get(&(stack.to_string(), key.to_string()))
            .cloned()
            .ok_or_else(|| LookupError::new("no such output"))
    }
    fn cfn_export(&self, name: &str) -> Result<String, LookupError> {
        self.record(format!("cfn_export {name}"));
        self.exports
            .get(name)
            .cloned()
            .ok_or_else(|| LookupError::new("no such export"))
    }
    fn s3_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, LookupError> {
        self.record(format!("s3 {bucket}/{key}"));
        self.objects
            .get(&(bucket.to_string(), key.to_string()))
            .cloned()
            .ok_or_else(|| LookupError::new("NoSuchKey"))
    }
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn env(pairs: &[(&str, &str)]) -> Arc<MapEnv> {
    Arc::new(MapEnv::from_pairs(pairs.iter().copied()))
}

/// A renderer with the default plugins only.
pub fn renderer(pairs: &[(&str, &str)]) -> Renderer {
    let functions =
        Functions::with_plugins(&[], &fixtures(), Arc::new(FakeAws::standard())).unwrap();
    Renderer::new(env(pairs), functions)
}

pub fn plugin(name: &str, config: serde_json::Value, prefix: &str) -> PluginSpec {
    PluginSpec {
        name: name.into(),
        config,
        func_prefix: prefix.into(),
        position: Position::new("config.yaml", 7, 5),
    }
}

/// A renderer with the tfstate fixture loaded, plus cloudformation.
pub fn renderer_with_tfstate(pairs: &[(&str, &str)]) -> Renderer {
    let specs = [
        plugin(
            "tfstate",
            serde_json::json!({"path": "terraform.tfstate"}),
            "",
        ),
        plugin("cloudformation", serde_json::Value::Null, ""),
    ];
    let functions =
        Functions::with_plugins(&specs, &fixtures(), Arc::new(FakeAws::standard())).unwrap();
    Renderer::new(env(pairs), functions)
}
