//! `required_version` constraints, in the syntax ecspresso configs use
//! (hashicorp/go-version): `>= 2.0.0, < 3`, `~> 2.1`, `v2.3.1`, `!= 2.0.1`.
//!
//! A config written for ecspresso states the ecspresso version it needs.
//! ristretto implements ecspresso's behaviour up to [`ECSPRESSO_COMPATIBLE`],
//! so a constraint is met when ristretto's own version or that compatibility
//! level satisfies it.

use semver::Version;

/// The ecspresso release whose files and behaviour ristretto accepts.
pub const ECSPRESSO_COMPATIBLE: &str = "2.7.0";

/// Whether `version` satisfies every comma-separated clause of `constraint`.
///
/// # Errors
/// A message naming the clause that cannot be parsed.
pub fn satisfies(constraint: &str, version: &Version) -> Result<bool, String> {
    let mut all = true;
    for clause in constraint.split(',') {
        let clause = clause.trim();
        let (op, rest) = split_operator(clause);
        let wanted =
            parse_loose(rest).ok_or_else(|| format!("`{clause}` is not a version constraint"))?;
        let base = strip_pre(version);
        let ok = match op {
            "" | "=" => base == wanted.version,
            "!=" => base != wanted.version,
            ">" => base > wanted.version,
            ">=" => base >= wanted.version,
            "<" => base < wanted.version,
            "<=" => base <= wanted.version,
            "~>" => base >= wanted.version && base < pessimistic_upper(&wanted),
            _ => return Err(format!("`{op}` is not a constraint operator")),
        };
        all &= ok;
    }
    Ok(all)
}

fn split_operator(clause: &str) -> (&str, &str) {
    for op in ["~>", ">=", "<=", "!=", ">", "<", "="] {
        if let Some(rest) = clause.strip_prefix(op) {
            return (op, rest.trim());
        }
    }
    ("", clause)
}

struct Loose {
    version: Version,
    /// How many components were written (`2.1` → 2).
    components: usize,
}

fn parse_loose(text: &str) -> Option<Loose> {
    let text = text.trim().trim_start_matches('v');
    let core = text.split(['-', '+']).next()?;
    let parts: Vec<u64> = core
        .split('.')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let get = |i: usize| parts.get(i).copied().unwrap_or(0);
    Some(Loose {
        version: Version::new(get(0), get(1), get(2)),
        components: parts.len(),
    })
}

/// `~> 2.1` allows `< 3.0`; `~> 2.1.3` allows `< 2.2`.
fn pessimistic_upper(wanted: &Loose) -> Version {
    let v = &wanted.version;
    match wanted.components {
        1 | 2 => Version::new(v.major + 1, 0, 0),
        _ => Version::new(v.major, v.minor + 1, 0),
    }
}

fn strip_pre(version: &Version) -> Version {
    Version::new(version.major, version.minor, version.patch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(constraint: &str, version: &str) -> bool {
        satisfies(constraint, &Version::parse(version).expect("version")).expect("constraint")
    }

    #[test]
    fn evaluates_hashicorp_style_constraints() {
        assert!(ok(">= 2.0.0, < 3", "2.7.0"));
        assert!(!ok(">= 2.0.0, < 3", "3.0.0"));
        assert!(ok("~> 2.1", "2.9.0"));
        assert!(!ok("~> 2.1.3", "2.2.0"));
        assert!(ok("v2.3.1", "2.3.1"));
        assert!(ok("!= 2.0.1", "2.0.2"));
        assert!(ok(">= v1.2.1, < v2", "1.2.1"));
    }

    #[test]
    fn rejects_garbage() {
        assert!(satisfies(">= two", &Version::new(1, 0, 0)).is_err());
        assert!(satisfies("=> 1.0", &Version::new(1, 0, 0)).is_err());
    }
}
