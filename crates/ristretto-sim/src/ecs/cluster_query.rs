//! The cluster query language of ListContainerInstances' `filter` (ECS developer guide,
//! "Create expressions to define container instances for Amazon ECS tasks").
//!
//! Expressions are `subject operator [argument]`, joined with `and` / `&&`, `or` / `||`
//! (`and` binds tighter), negated with `not` / `!`, grouped with parentheses. Subjects served:
//! `attribute:<name>`, `ec2InstanceId`, `agentConnected`, `runningTasksCount`; operators
//! `==`, `!=`, `in`, `!in` (`not_in`), `=~` (`matches`, `*` wildcards), `!~` (`not_matches`),
//! `exists`, `!exists` (`not_exists`), and `>`, `>=`, `<`, `<=` for counts. `agentVersion`,
//! `registeredAt` and `task:group` are refused as not simulated; a syntax error is an
//! `InvalidParameterException` (AWS's wording of it is not documented).

use aws_sdk_ecs::types::ContainerInstance;

use crate::error::ApiError;

#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    And(Box<Query>, Box<Query>),
    Or(Box<Query>, Box<Query>),
    Not(Box<Query>),
    Test {
        subject: String,
        op: String,
        args: Vec<String>,
    },
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::invalid_parameter(message)
}

/// Splits a filter into tokens: words, quoted strings, brackets, commas and operators.
fn tokens(text: &str) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if "()[],".contains(c) {
            out.push(c.to_string());
            i += 1;
        } else if c == '"' || c == '\'' {
            let end = chars[i + 1..]
                .iter()
                .position(|x| *x == c)
                .ok_or_else(|| bad("Unterminated string in filter."))?;
            out.push(chars[i + 1..i + 1 + end].iter().collect());
            i += end + 2;
        } else if "=!<>&|~".contains(c) {
            let mut j = i;
            while j < chars.len() && "=!<>&|~".contains(chars[j]) {
                j += 1;
            }
            let mut op: String = chars[i..j].iter().collect();
            // `!in`, `!exists`: the negation sign followed by a word.
            if op == "!" && j < chars.len() && chars[j].is_alphabetic() {
                let mut k = j;
                while k < chars.len() && chars[k].is_alphanumeric() {
                    k += 1;
                }
                let word: String = chars[j..k].iter().collect();
                if word == "in" || word == "exists" {
                    op.push_str(&word);
                    j = k;
                }
            }
            out.push(op);
            i = j;
        } else {
            let mut j = i;
            while j < chars.len()
                && !chars[j].is_whitespace()
                && !"()[],=!<>&|~\"'".contains(chars[j])
            {
                j += 1;
            }
            out.push(chars[i..j].iter().collect());
            i = j;
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<String>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.toks.get(self.pos).map(String::as_str)
    }

    fn next(&mut self) -> Option<String> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn or(&mut self) -> Result<Query, ApiError> {
        let mut left = self.and()?;
        while matches!(self.peek(), Some("or" | "||")) {
            self.pos += 1;
            left = Query::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Query, ApiError> {
        let mut left = self.unary()?;
        while matches!(self.peek(), Some("and" | "&&")) {
            self.pos += 1;
            left = Query::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Query, ApiError> {
        match self.peek() {
            Some("not" | "!") => {
                self.pos += 1;
                Ok(Query::Not(Box::new(self.unary()?)))
            }
            Some("(") => {
                self.pos += 1;
                let q = self.or()?;
                if self.next().as_deref() != Some(")") {
                    return Err(bad("Missing `)` in filter."));
                }
                Ok(q)
            }
            _ => self.test(),
        }
    }

    fn test(&mut self) -> Result<Query, ApiError> {
        let subject = self
            .next()
            .ok_or_else(|| bad("Incomplete expression in filter."))?;
        match subject.as_str() {
            "ec2InstanceId" | "agentConnected" | "runningTasksCount" => {}
            s if s.starts_with("attribute:") && s.len() > "attribute:".len() => {}
            "agentVersion" | "registeredAt" | "task:group" => {
                return Err(bad(format!(
                    "Filter subject {subject} is not supported by this simulator."
                )));
            }
            _ => return Err(bad(format!("Invalid filter subject: {subject}."))),
        }
        let op = match self
            .next()
            .ok_or_else(|| bad("Missing operator in filter."))?
            .as_str()
        {
            "==" | "equals" => "==",
            "!=" | "not_equals" => "!=",
            "in" => "in",
            "!in" | "not_in" => "!in",
            "=~" | "matches" => "=~",
            "!~" | "not_matches" => "!~",
            "exists" => "exists",
            "!exists" | "not_exists" => "!exists",
            ">" | "greater_than" => ">",
            ">=" | "greater_than_equal" => ">=",
            "<" | "less_than" => "<",
            "<=" | "less_than_equal" => "<=",
            other => return Err(bad(format!("Invalid filter operator: {other}."))),
        }
        .to_owned();
        let args = match op.as_str() {
            "exists" | "!exists" => Vec::new(),
            "in" | "!in" => {
                if self.next().as_deref() != Some("[") {
                    return Err(bad(format!("{op} takes a list: [a, b].")));
                }
                let mut args = Vec::new();
                loop {
                    match self.next() {
                        Some(t) if t == "]" => break,
                        Some(t) if t == "," => {}
                        Some(t) => args.push(t),
                        None => return Err(bad("Missing `]` in filter.")),
                    }
                }
                args
            }
            _ => vec![
                self.next()
                    .ok_or_else(|| bad("Missing argument in filter."))?,
            ],
        };
        let numeric = matches!(op.as_str(), ">" | ">=" | "<" | "<=");
        if numeric && subject != "runningTasksCount" {
            return Err(bad(format!("{op} applies to runningTasksCount only.")));
        }
        if subject == "runningTasksCount"
            && !matches!(op.as_str(), "exists" | "!exists")
            && args.iter().any(|a| a.parse::<i64>().is_err())
        {
            return Err(bad("runningTasksCount is compared with a number."));
        }
        Ok(Query::Test { subject, op, args })
    }
}

/// Parses a filter expression.
pub fn parse(text: &str) -> Result<Query, ApiError> {
    let mut p = Parser {
        toks: tokens(text)?,
        pos: 0,
    };
    let q = p.or()?;
    if let Some(rest) = p.peek() {
        return Err(bad(format!("Unexpected `{rest}` in filter.")));
    }
    Ok(q)
}

/// `*` matches any run of characters (the guide's `matches` examples use it that way).
fn wildcard(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            let Some(rest) = text.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len()).any(|i| rest.is_char_boundary(i) && wildcard(tail, &rest[i..]))
        }
    }
}

impl Query {
    /// Whether the described instance `ci` satisfies the query.
    pub fn matches(&self, ci: &ContainerInstance) -> bool {
        match self {
            Query::And(a, b) => a.matches(ci) && b.matches(ci),
            Query::Or(a, b) => a.matches(ci) || b.matches(ci),
            Query::Not(q) => !q.matches(ci),
            Query::Test { subject, op, args } => {
                let value: Option<String> = match subject.as_str() {
                    "ec2InstanceId" => ci.ec2_instance_id().map(str::to_owned),
                    "agentConnected" => Some(ci.agent_connected().to_string()),
                    "runningTasksCount" => Some(ci.running_tasks_count().to_string()),
                    s => {
                        let name = s.trim_start_matches("attribute:");
                        ci.attributes()
                            .iter()
                            .find(|a| a.name() == name)
                            // An attribute without a value exists but equals nothing.
                            .map(|a| a.value().unwrap_or_default().to_owned())
                    }
                };
                let arg = args.first().map(String::as_str).unwrap_or_default();
                let num = |v: &str| v.parse::<i64>().ok();
                match op.as_str() {
                    "exists" => value.is_some(),
                    "!exists" => value.is_none(),
                    "==" => value.as_deref() == Some(arg),
                    "!=" => value.as_deref() != Some(arg),
                    "in" => value.is_some_and(|v| args.contains(&v)),
                    "!in" => !value.is_some_and(|v| args.contains(&v)),
                    "=~" => value.is_some_and(|v| wildcard(arg, &v)),
                    "!~" => !value.is_some_and(|v| wildcard(arg, &v)),
                    cmp => match (value.as_deref().and_then(num), num(arg)) {
                        (Some(v), Some(a)) => match cmp {
                            ">" => v > a,
                            ">=" => v >= a,
                            "<" => v < a,
                            _ => v <= a,
                        },
                        _ => false,
                    },
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use aws_sdk_ecs::types::{Attribute, ContainerInstance};

    use super::parse;

    fn instance(kind: &str, running: i32) -> ContainerInstance {
        ContainerInstance::builder()
            .ec2_instance_id("i-0abc")
            .running_tasks_count(running)
            .agent_connected(true)
            .attributes(
                Attribute::builder()
                    .name("ecs.instance-type")
                    .value(kind)
                    .build()
                    .unwrap(),
            )
            .attributes(
                Attribute::builder()
                    .name("ecs.capability.task-eni")
                    .build()
                    .unwrap(),
            )
            .build()
    }

    // ECS developer guide, "Create expressions to define container instances": the examples
    // of its "Examples" section, each against an instance it selects and one it does not.
    #[test]
    fn the_guide_examples_select_what_they_say() {
        let t2 = instance("t2.small", 0);
        let g2 = instance("g2.2xlarge", 3);
        let cases = [
            ("attribute:ecs.instance-type == t2.small", true, false),
            (
                "attribute:ecs.instance-type in [t2.small, t2.medium]",
                true,
                false,
            ),
            ("attribute:ecs.instance-type =~ g2.*", false, true),
            ("attribute:ecs.instance-type !~ g2.*", true, false),
            ("runningTasksCount == 0", true, false),
            (
                "runningTasksCount > 1 and attribute:ecs.instance-type =~ g2.*",
                false,
                true,
            ),
            ("ec2InstanceId in ['i-0abc', 'i-0def']", true, true),
            ("attribute:ecs.capability.task-eni exists", true, true),
            ("attribute:stack !exists", true, true),
            (
                "not (runningTasksCount == 0) || agentConnected == false",
                false,
                true,
            ),
        ];
        for (filter, on_t2, on_g2) in cases {
            let q = parse(filter).unwrap_or_else(|e| panic!("{filter}: {e:?}"));
            assert_eq!(q.matches(&t2), on_t2, "{filter} on t2.small");
            assert_eq!(q.matches(&g2), on_g2, "{filter} on g2.2xlarge");
        }
    }

    #[test]
    fn malformed_filters_are_invalid_parameters() {
        for filter in [
            "attribute:ecs.instance-type ==",
            "nope == 1",
            "runningTasksCount > many",
            "attribute:x in [a, b",
            "(runningTasksCount == 0",
            "registeredAt > 2018-06-18",
            "attribute:x == a b",
        ] {
            let e = parse(filter).unwrap_err();
            assert_eq!(e.code, "InvalidParameterException", "{filter}");
        }
    }
}
