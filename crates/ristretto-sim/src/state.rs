//! The whole simulated world in one value: what the state file holds.
//!
//! Each AWS service keeps its part in its own module's state struct; this module holds them
//! together with the world clock's position, the deterministic ID generator, and the rules taken
//! from the world file. Saving and loading go through serde, SDK values through the SDK codec
//! ([`crate::codec::Sdk`]).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::autoscaling::AutoScalingState;
use crate::clock::{Epoch, real_now};
use crate::codedeploy::CodeDeployState;
use crate::ecs::EcsState;
use crate::error::SimError;
use crate::logs::LogsState;
use crate::s3::S3State;
use crate::secrets::SecretsState;
use crate::ssm::SsmState;
use crate::world::World;

const STATE_VERSION: u32 = 1;
/// At most this many events are processed in one advance (a guard against runaway loops).
const MAX_STEPS: usize = 200_000;

/// The simulated world.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    version: u32,
    /// World time at the last advance.
    pub now: Epoch,
    /// Real time at which the state was saved (to resume the clock).
    #[serde(default)]
    pub saved_at: Epoch,
    /// Generator of every ID: IDs are deterministic for a given history.
    pub ids: Ids,
    pub ecs: EcsState,
    #[serde(default)]
    pub autoscaling: AutoScalingState,
    #[serde(default)]
    pub ssm: SsmState,
    #[serde(default)]
    pub secrets: SecretsState,
    #[serde(default)]
    pub s3: S3State,
    #[serde(default)]
    pub codedeploy: CodeDeployState,
    #[serde(default)]
    pub logs: LogsState,
    /// Rules of the world file (failure rules, delays, region); never saved.
    #[serde(skip)]
    pub rules: World,
}

/// What a handler needs to know about the request beyond its body.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub now: Epoch,
    pub region: String,
    pub account: String,
}

impl Ctx {
    /// `arn:aws:<service>:<region>:<account>:<resource>`
    pub fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:aws:{service}:{}:{}:{resource}",
            self.region, self.account
        )
    }
}

impl State {
    /// A fresh world seeded from the world file, starting at the current real time.
    pub fn seeded(world: &World) -> State {
        let now = real_now();
        let mut state = State {
            version: STATE_VERSION,
            now,
            saved_at: now,
            ids: Ids { next: 1 },
            ecs: EcsState::default(),
            autoscaling: AutoScalingState::default(),
            ssm: SsmState::default(),
            secrets: SecretsState::default(),
            s3: S3State::default(),
            codedeploy: CodeDeployState::default(),
            logs: LogsState::default(),
            rules: world.clone(),
        };
        let ctx = Ctx {
            now,
            region: world.region().to_owned(),
            account: world.account_id().to_owned(),
        };
        crate::ecs::seed(&mut state, &ctx, world);
        crate::autoscaling::seed(&mut state, &ctx, world);
        crate::ssm::seed(&mut state, &ctx, world);
        crate::secrets::seed(&mut state, &ctx, world);
        crate::logs::seed(&mut state, &ctx, world);
        crate::s3::seed(&mut state, world);
        crate::codedeploy::seed(&mut state, world);
        state
    }

    /// Loads a state file; the rules come from `world`.
    pub fn load(path: &Path, world: &World) -> Result<State, SimError> {
        let err = |message: String| SimError::LoadState {
            path: path.to_owned(),
            message,
        };
        let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        let mut state: State = serde_json::from_slice(&bytes).map_err(|e| err(e.to_string()))?;
        if state.version != STATE_VERSION {
            return Err(err(format!(
                "state version {} is not supported (expected {STATE_VERSION}); delete the file to start afresh",
                state.version
            )));
        }
        state.rules = world.clone();
        crate::ecs::container_instances::adopt_world(&mut state);
        Ok(state)
    }

    /// Serialises the state (for [`write_state_file`]).
    pub fn to_bytes(&mut self) -> Vec<u8> {
        self.saved_at = real_now();
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Brings the world up to `to` (task transitions, deployments, service events).
    ///
    /// Time jumps from one event to the next (a task starting or stopping, a strategy stage
    /// or a CodeDeploy lifecycle event ending), and every service reacts at each one, so the
    /// result does not depend on how often clients poll.
    pub fn advance(&mut self, to: Epoch) {
        if to <= self.now {
            return;
        }
        for _ in 0..MAX_STEPS {
            let next = [
                crate::ecs::scheduler::next_event(&self.ecs, self.now),
                crate::codedeploy::next_event(&self.codedeploy, self.now),
            ]
            .into_iter()
            .flatten()
            .reduce(f64::min);
            let Some(t) = next.filter(|t| *t <= to) else {
                break;
            };
            self.now = t.max(self.now);
            crate::ecs::scheduler::step(self, self.now);
            crate::codedeploy::step(self, self.now);
        }
        crate::logs::write_due(self, to);
        crate::ecs::scheduler::prune(&mut self.ecs, to);
        self.now = to;
    }
}

/// The deterministic ID generator.
#[derive(Debug, Serialize, Deserialize)]
pub struct Ids {
    next: u64,
}

impl Ids {
    /// A fresh number for an ID.
    pub fn number(&mut self) -> u64 {
        let id = self.next;
        self.next += 1;
        id
    }

    /// 32 lowercase hex digits (task IDs, event IDs).
    pub fn hex_id(&mut self) -> String {
        let n = self.number();
        format!("{:016x}{:016x}", mix(n), mix(n ^ 0x5eed))
    }

    /// 19 decimal digits (deployment and task set IDs, `ecs-svc/<digits>`).
    pub fn digits_id(&mut self) -> String {
        let n = self.number();
        format!("{:019}", mix(n) % 10_000_000_000_000_000_000)
    }

    /// A UUID-shaped ID.
    pub fn uuid(&mut self) -> String {
        uuid_form(&self.hex_id())
    }

    /// `n` alphanumeric characters (Secrets Manager ARN suffixes, service deployment IDs).
    pub fn alnum_id(&mut self, n: usize) -> String {
        const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut x = mix(self.number());
        (0..n)
            .map(|_| {
                let c = CHARS[(x % CHARS.len() as u64) as usize] as char;
                x = mix(x);
                c
            })
            .collect()
    }
}

/// Writes the state file atomically: a temporary file of a name no other
/// writer uses (process ID and a counter), then a rename over the old one.
pub fn write_state_file(path: &Path, bytes: &[u8]) -> Result<(), SimError> {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let err = |source| SimError::SaveState {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(
        ".{}.{}.tmp",
        std::process::id(),
        WRITES.fetch_add(1, Ordering::Relaxed)
    ));
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(err)
}

/// The state file shared by every simulator started on it (several `--local`
/// commands in one folder, a `local serve`): each call takes an advisory lock
/// on a lock file beside it (`local-state.json.lock`), reads the state again
/// when another process wrote it since this one last read or wrote it, and a
/// mutating call writes it before the lock is let go. So every call sees the
/// other processes' changes and none is lost.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    /// What the file was when this process last read or wrote it.
    seen: Option<Stamp>,
}

/// Enough of a file's metadata to tell that it was replaced or rewritten.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    #[cfg(unix)]
    inode: u64,
}

impl Stamp {
    fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        Some(Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            inode: std::os::unix::fs::MetadataExt::ino(&meta),
        })
    }
}

impl StateFile {
    /// The state file at `path` (not read yet).
    #[must_use]
    pub fn new(path: PathBuf) -> Self {
        Self { path, seen: None }
    }

    /// Its path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Waits for the lock on the state file; it is let go when the returned
    /// file is dropped.
    ///
    /// # Errors
    /// The lock file cannot be created or locked.
    pub fn lock(&self) -> Result<File, SimError> {
        let mut lock_path = self.path.as_os_str().to_owned();
        lock_path.push(".lock");
        let lock_path = PathBuf::from(lock_path);
        let err = |source| SimError::SaveState {
            path: lock_path.clone(),
            source,
        };
        if let Some(dir) = lock_path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(err)?;
        file.lock().map_err(err)?;
        Ok(file)
    }

    /// Whether the file exists.
    #[must_use]
    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    /// Whether another process wrote the file since this one last read or wrote it.
    #[must_use]
    pub fn changed_elsewhere(&self) -> bool {
        let now = Stamp::of(&self.path);
        now.is_some() && now != self.seen
    }

    /// Reads the state (call it holding the lock).
    ///
    /// # Errors
    /// See [`State::load`].
    pub fn read(&mut self, world: &World) -> Result<State, SimError> {
        let stamp = Stamp::of(&self.path);
        let state = State::load(&self.path, world)?;
        self.seen = stamp;
        Ok(state)
    }

    /// Writes the state (call it holding the lock).
    ///
    /// # Errors
    /// See [`write_state_file`].
    pub fn write(&mut self, state: &mut State) -> Result<(), SimError> {
        write_state_file(&self.path, &state.to_bytes())?;
        self.seen = Stamp::of(&self.path);
        Ok(())
    }
}

/// splitmix64: spreads a counter over 64 bits.
fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// 32 hex digits in the 8-4-4-4-12 groups of a UUID.
pub(crate) fn uuid_form(h: &str) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}
