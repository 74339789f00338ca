//! The instances a sync runs its calls on: the first one given, more made on demand up to a
//! limit, all sharing the run's HTTP capability (so they share its budget and its cache); let go
//! of once the sync needs no more calls, so grant expansion does not run beside their memories.

use std::future::Future;
use std::pin::Pin;

use crate::runtime::{CallError, Instance};

/// Makes one more instance of the sync's component.
pub type MakeInstance = Box<
    dyn Fn() -> Pin<Box<dyn Future<Output = Result<Instance, CallError>> + Send>> + Send + Sync,
>;

/// Frees what the instances shared (the run's read cache) when the pool lets them go.
pub type OnRelease = Box<dyn FnOnce() + Send>;

/// Idle instances and how to make more.
pub struct InstancePool {
    idle: Vec<Instance>,
    made: usize,
    limit: usize,
    make: Option<MakeInstance>,
    on_release: Option<OnRelease>,
}

impl InstancePool {
    /// One instance, calls one at a time.
    pub fn single(instance: Instance) -> InstancePool {
        InstancePool {
            idle: vec![instance],
            made: 1,
            limit: 1,
            make: None,
            on_release: None,
        }
    }

    /// `first`, and up to `limit` instances in all made by `make` as calls run concurrently.
    pub fn new(first: Instance, limit: usize, make: MakeInstance) -> InstancePool {
        InstancePool {
            idle: vec![first],
            made: 1,
            limit: limit.max(1),
            make: Some(make),
            on_release: None,
        }
    }

    /// Runs `hook` when the pool lets its instances go.
    pub fn on_release(mut self, hook: OnRelease) -> InstancePool {
        self.on_release = Some(hook);
        self
    }

    /// The most calls that can run at once.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Whether an instance is free or can be made.
    pub(super) fn has_room(&self) -> bool {
        !self.idle.is_empty() || (self.made < self.limit && self.make.is_some())
    }

    /// A free instance, made if none is idle; `None` when every instance is busy.
    pub(super) async fn take(&mut self) -> Option<Result<Instance, CallError>> {
        if let Some(instance) = self.idle.pop() {
            return Some(Ok(instance));
        }
        let make = self.make.as_ref().filter(|_| self.made < self.limit)?;
        self.made += 1;
        Some(make().await)
    }

    /// Gives an instance back after its call.
    pub(super) fn put_back(&mut self, instance: Instance) {
        self.idle.push(instance);
    }

    /// Lets the idle instances go, with their memories and what they shared: the sync needs no
    /// more calls. Should one come after all, it gets a new instance. A pool that cannot make
    /// instances keeps its one.
    pub(super) fn release(&mut self) {
        if self.make.is_none() {
            return;
        }
        self.made -= self.idle.len();
        self.idle.clear();
        if let Some(hook) = self.on_release.take() {
            hook();
        }
    }

    /// The plugin's name, for messages.
    pub(super) fn plugin(&self) -> Option<String> {
        self.idle.first().map(|i| i.plugin().to_string())
    }
}
