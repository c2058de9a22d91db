//! The entry point: render a file's text in the syntax its name selects.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use crate::env::Env;
use crate::error::TemplateError;
use crate::functions::Functions;
use crate::syntax::Syntax;

/// A rendered template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    /// The output text.
    pub text: String,
    /// Values that came from secret lookups (`ssm`, `secretsmanager_arn`), to mask in diffs
    /// and logs.
    pub secrets: BTreeSet<String>,
}

/// Renders templates with an environment and a set of plugin functions.
#[derive(Clone)]
pub struct Renderer {
    pub(crate) env: Arc<dyn Env>,
    pub(crate) functions: Functions,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("functions", &self.functions)
            .finish_non_exhaustive()
    }
}

impl Renderer {
    /// A renderer reading variables from `env` and calling `functions`.
    pub fn new(env: Arc<dyn Env>, functions: Functions) -> Self {
        Self { env, functions }
    }

    /// Renders `source`, the content of `file`, in the syntax `file`'s name selects (see
    /// [`Syntax::of`]). `file` is used for that choice and in errors; it is not read.
    pub fn render(&self, source: &str, file: &Path) -> Result<Rendered, TemplateError> {
        self.render_as(source, file, Syntax::of(file))
    }

    /// Renders `source` in an explicit syntax.
    pub fn render_as(
        &self,
        source: &str,
        file: &Path,
        syntax: Syntax,
    ) -> Result<Rendered, TemplateError> {
        let (text, secrets) = match syntax {
            Syntax::Go => crate::gotmpl::render(source, file, &*self.env, &self.functions)?,
            Syntax::Tera => crate::tera_syntax::render(source, file, &self.env, &self.functions)?,
        };
        Ok(Rendered { text, secrets })
    }

    /// The plugin functions this renderer calls.
    pub fn functions(&self) -> &Functions {
        &self.functions
    }
}
