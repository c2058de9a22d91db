//! Files on disk to validated values: read, evaluate Jsonnet, render the
//! template, parse, validate. The order is ecspresso's: `.jsonnet` files and
//! `.json` configs are evaluated as Jsonnet first and rendered after; every
//! other file is rendered, then parsed.
//!
//! A config is rendered with the built-in functions only (as in ecspresso
//! v2); definitions also get the plugin functions the config sets up.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use ristretto_template::{
    AwsLookups, Env, Functions, JsonnetVars, PluginSpec, Position, Renderer, strip_tera_suffix,
};

use crate::config::{self, Config, Format, Warning};
use crate::definition::{check_service_definition, check_task_definition};
use crate::error::LoadError;

/// Loads configs and, through [`Definitions`], their definition files.
#[derive(Clone)]
pub struct Loader {
    env: Arc<dyn Env>,
    jsonnet: JsonnetVars,
    binary_version: semver::Version,
}

/// A value loaded from a file, with the secret values its templates looked up.
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    /// The value.
    pub value: T,
    /// Values from `ssm` / `secretsmanager` lookups, to mask in output.
    pub secrets: BTreeSet<String>,
    /// Rules of AWS the value breaks, one line each (`file:line:col: path:
    /// message`), when the definitions were loaded with
    /// [`Definitions::rules_as_warnings`]; otherwise such a value is an error.
    pub warnings: Vec<String>,
}

impl Loader {
    /// A loader reading variables from `env`, with `--ext-str`/`--ext-code`
    /// values for Jsonnet, checking `required_version` against `binary_version`.
    #[must_use]
    pub fn new(env: Arc<dyn Env>, jsonnet: JsonnetVars, binary_version: semver::Version) -> Self {
        Self {
            env,
            jsonnet,
            binary_version,
        }
    }

    /// Loads and validates a config file.
    ///
    /// # Errors
    /// Any [`LoadError`]: unreadable file, template, syntax or validation error.
    pub fn load_config(&self, file: &Path) -> Result<(Config, Vec<Warning>), LoadError> {
        let text = read(file)?;
        let format = Format::of(strip_tera_suffix(file).0)?;
        let renderer = Renderer::new(self.env.clone(), Functions::none());
        let rendered = match format {
            Format::Yaml => renderer.render(&text, file)?.text,
            Format::Jsonnet => {
                let json = renderer
                    .evaluate_jsonnet_source(&text, file, &self.jsonnet)?
                    .text;
                renderer.render(&json, file)?.text
            }
        };
        config::parse(&rendered, file, format, &self.binary_version)
    }

    /// Sets up the config's plugins (default ones first) for its definitions.
    ///
    /// # Errors
    /// An unknown plugin, a duplicate function name, an unreadable tfstate.
    pub fn definitions(
        &self,
        config: &Config,
        lookups: Arc<dyn AwsLookups>,
    ) -> Result<Definitions, LoadError> {
        let specs: Vec<PluginSpec> = config
            .plugins
            .iter()
            .map(|p| PluginSpec {
                name: p.name.clone(),
                config: p.config.clone(),
                func_prefix: p.func_prefix.clone(),
                position: Position::new(&config.file, 0, 0),
            })
            .collect();
        let dir = config.file.parent().unwrap_or_else(|| Path::new(""));
        let functions = Functions::with_plugins(&specs, dir, lookups)?;
        Ok(Definitions {
            renderer: Renderer::new(self.env.clone(), functions),
            jsonnet: self.jsonnet.clone(),
            service: config.service.clone().unwrap_or_default(),
            task_definition: config.task_definition.clone(),
            service_definition: config.service_definition.clone(),
            config_file: config.file.clone(),
            enforce_rules: true,
        })
    }
}

/// Renders and loads the definition files of one config.
pub struct Definitions {
    renderer: Renderer,
    jsonnet: JsonnetVars,
    service: String,
    task_definition: Option<PathBuf>,
    service_definition: Option<PathBuf>,
    config_file: PathBuf,
    enforce_rules: bool,
}

impl Definitions {
    /// The same definitions, loading a value that breaks a rule of AWS
    /// ([`crate::validate`]) with the broken rules as [`Loaded::warnings`]
    /// instead of failing: for `render` and `diff`, which change nothing.
    #[must_use]
    pub fn rules_as_warnings(mut self) -> Self {
        self.enforce_rules = false;
        self
    }

    fn checked<T>(
        &self,
        checked: (T, Option<LoadError>),
        secrets: BTreeSet<String>,
    ) -> Result<Loaded<T>, LoadError> {
        let (value, broken) = checked;
        let warnings = match broken {
            Some(e) if self.enforce_rules => return Err(e),
            Some(e) => e.details(),
            None => Vec::new(),
        };
        Ok(Loaded {
            value,
            secrets,
            warnings,
        })
    }

    /// The config's task definition, loaded as `RegisterTaskDefinition` input.
    ///
    /// # Errors
    /// `task_definition` not set, or any load error of the file.
    pub fn task_definition(&self) -> Result<Loaded<RegisterTaskDefinitionInput>, LoadError> {
        let file = self.required(self.task_definition.as_deref(), "task_definition")?;
        self.task_definition_file(file)
    }

    /// Another task definition file (`run --task-def`), rendered with the
    /// config's plugins like the config's own.
    ///
    /// # Errors
    /// Any load error of the file.
    pub fn task_definition_file(
        &self,
        file: &Path,
    ) -> Result<Loaded<RegisterTaskDefinitionInput>, LoadError> {
        let rendered = self.render_file(file)?;
        let checked = check_task_definition(&rendered.text, file)?;
        self.checked(checked, rendered.secrets)
    }

    /// The config's service definition, loaded as `CreateService` input.
    ///
    /// # Errors
    /// `service_definition` not set, or any load error of the file.
    pub fn service_definition(&self) -> Result<Loaded<CreateServiceInput>, LoadError> {
        let file = self.required(self.service_definition.as_deref(), "service_definition")?;
        let rendered = self.render_file(file)?;
        let checked = check_service_definition(&rendered.text, file, &self.service)?;
        self.checked(checked, rendered.secrets)
    }

    /// A `run --overrides-file`, rendered like a definition (Jsonnet when
    /// `.jsonnet`), loaded as a `TaskOverride`.
    ///
    /// # Errors
    /// Any load error of the file.
    pub fn task_override(
        &self,
        file: &Path,
    ) -> Result<Loaded<aws_sdk_ecs::types::TaskOverride>, LoadError> {
        let rendered = self.render_file(file)?;
        let value = crate::definition::parse_task_override(&rendered.text, file)?;
        Ok(Loaded {
            value,
            secrets: rendered.secrets,
            warnings: Vec::new(),
        })
    }

    fn required<'a>(&self, path: Option<&'a Path>, key: &str) -> Result<&'a Path, LoadError> {
        path.ok_or_else(|| LoadError::Value {
            file: self.config_file.clone(),
            position: None,
            message: format!("`{key}` is not set"),
            hint: Some(format!("add `{key}: <file>` to the config")),
        })
    }

    fn render_file(&self, file: &Path) -> Result<ristretto_template::Rendered, LoadError> {
        let text = read(file)?;
        let is_jsonnet = strip_tera_suffix(file)
            .0
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("jsonnet"));
        if is_jsonnet {
            let json = self
                .renderer
                .evaluate_jsonnet_source(&text, file, &self.jsonnet)?;
            let mut rendered = self.renderer.render(&json.text, file)?;
            rendered.secrets.extend(json.secrets);
            Ok(rendered)
        } else {
            Ok(self.renderer.render(&text, file)?)
        }
    }
}

fn read(file: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(file).map_err(|source| LoadError::Read {
        path: file.to_owned(),
        source,
    })
}
