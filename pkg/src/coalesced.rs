use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::task::AbortHandle;
use tokio::time::Instant;

/// A value that is recomputed at most once at a time and reused until it expires: the building
/// block of cached health checks, collect-time collectors and SQL aggregates.
///
/// [`get`](Self::get) returns the value while it is valid; otherwise every caller shares one run
/// (started by the first). The run is spawned on its own task, so it finishes even when every
/// caller stops waiting, and a run that panics or is cancelled never blocks the cell: its waiters
/// get a [`RunFailure`], the failure hook (see [`on_failure`](Self::on_failure)) is told once, and
/// the next call starts afresh.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
/// use vitals::Coalesced;
///
/// let cell = Coalesced::<u32>::new();
/// let runs = Arc::new(AtomicU32::new(0));
/// let get = || {
///     let runs = runs.clone();
///     cell.get(move || async move {
///         let n = runs.fetch_add(1, Ordering::SeqCst) + 1;
///         (n, Some(tokio::time::Instant::now() + Duration::from_secs(60)))
///     })
/// };
/// assert_eq!(get().await, Ok(1));
/// assert_eq!(get().await, Ok(1)); // still valid: not run again
/// assert_eq!(runs.load(Ordering::SeqCst), 1);
/// # }
/// ```
pub struct Coalesced<T: Clone> {
    inner: Arc<Inner<T>>,
}

type FailureHook = Box<dyn Fn(&RunFailure) + Send + Sync>;
type RunFuture<T> = Shared<BoxFuture<'static, Result<T, RunFailure>>>;

struct Inner<T: Clone> {
    state: Mutex<State<T>>,
    on_failure: Option<FailureHook>,
}

struct State<T: Clone> {
    value: Option<T>,
    valid_until: Option<Instant>,
    in_flight: Option<Run<T>>,
    next_id: u64,
}

struct Run<T: Clone> {
    id: u64,
    waiters: RunFuture<T>,
    abort: AbortHandle,
}

/// Why a [`Coalesced`] run produced no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunFailure {
    /// The run panicked; the panic message.
    Panicked(String),
    /// The run was cancelled (aborted, or its runtime shut down) before it finished.
    Cancelled,
}

impl std::fmt::Display for RunFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Panicked(msg) => write!(f, "panicked: {msg}"),
            Self::Cancelled => f.write_str("cancelled before it finished"),
        }
    }
}

/// The text of a panic payload (`&str` or `String`; anything else is named as such).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned())
}

/// What [`Coalesced::get`] found: a valid value, or the run to wait for.
pub enum Lookup<T: Clone> {
    /// The stored value is still valid.
    Ready(T),
    /// A run is under way (possibly just started); await it.
    Pending(RunFuture<T>),
}

impl<T: Clone> std::future::IntoFuture for Lookup<T> {
    type Output = Result<T, RunFailure>;
    type IntoFuture =
        futures_util::future::Either<std::future::Ready<Result<T, RunFailure>>, RunFuture<T>>;

    fn into_future(self) -> Self::IntoFuture {
        match self {
            Lookup::Ready(v) => futures_util::future::Either::Left(std::future::ready(Ok(v))),
            Lookup::Pending(run) => futures_util::future::Either::Right(run),
        }
    }
}

impl<T: Clone> Default for Coalesced<T> {
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    value: None,
                    valid_until: None,
                    in_flight: None,
                    next_id: 0,
                }),
                on_failure: None,
            }),
        }
    }
}

/// Ends a run in the cell whatever happens to it: stores the value when it finishes, and when it
/// panics or is dropped unfinished (cancelled) clears the in-flight slot and tells the hook.
struct RunGuard<T: Clone> {
    inner: Arc<Inner<T>>,
    id: u64,
    done: bool,
}

impl<T: Clone> RunGuard<T> {
    fn end(&mut self, outcome: Result<(T, Option<Instant>), &RunFailure>) {
        self.done = true;
        {
            let mut state = lock(&self.inner.state);
            if let Ok((value, valid_until)) = outcome.as_ref() {
                state.value = Some(value.clone());
                state.valid_until = *valid_until;
            }
            if state.in_flight.as_ref().is_some_and(|r| r.id == self.id) {
                state.in_flight = None;
            }
        }
        if let (Err(failure), Some(hook)) = (outcome, &self.inner.on_failure) {
            hook(failure);
        }
    }
}

impl<T: Clone> Drop for RunGuard<T> {
    fn drop(&mut self) {
        if !self.done {
            self.end(Err(&RunFailure::Cancelled));
        }
    }
}

fn lock<S>(m: &Mutex<S>) -> MutexGuard<'_, S> {
    // A poisoned lock only means a panic elsewhere while holding it; the state stays usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<T: Clone + Send + Sync + 'static> Coalesced<T> {
    /// Empty: the first `get` starts a run.
    pub fn new() -> Self {
        Self::default()
    }

    /// Calls `hook` once for every run that panics or is cancelled (to count and log it).
    ///
    /// # Panics
    /// When called after the cell has been shared (cloned internally by a run).
    pub fn on_failure(mut self, hook: impl Fn(&RunFailure) + Send + Sync + 'static) -> Self {
        Arc::get_mut(&mut self.inner)
            .expect("on_failure is set before the first run")
            .on_failure = Some(Box::new(hook));
        self
    }

    /// The last finished value, valid or not.
    pub fn current(&self) -> Option<T> {
        lock(&self.inner.state).value.clone()
    }

    /// Whether a run is under way.
    pub fn is_running(&self) -> bool {
        lock(&self.inner.state).in_flight.is_some()
    }

    /// The value while valid; else the run under way, or a new one from `start`.
    ///
    /// `start` builds the run: a future giving the value and how long it may be reused (`None`:
    /// not reused). It is called under the cell's lock, so it must not call this cell itself;
    /// the future it returns may.
    ///
    /// # Panics
    /// Outside a tokio runtime, when a run has to be started.
    pub fn get<F>(&self, start: impl FnOnce() -> F) -> Lookup<T>
    where
        F: Future<Output = (T, Option<Instant>)> + Send + 'static,
    {
        self.lookup(true, start)
    }

    /// Like [`get`](Self::get) but ignores a still-valid value: joins the run under way or starts
    /// one (a background refresher's call).
    ///
    /// # Panics
    /// Outside a tokio runtime, when a run has to be started.
    pub fn refresh<F>(&self, start: impl FnOnce() -> F) -> Lookup<T>
    where
        F: Future<Output = (T, Option<Instant>)> + Send + 'static,
    {
        self.lookup(false, start)
    }

    /// Aborts the run under way, if any; its waiters get [`RunFailure::Cancelled`].
    pub fn cancel(&self) {
        if let Some(run) = lock(&self.inner.state).in_flight.as_ref() {
            run.abort.abort();
        }
    }

    fn lookup<F>(&self, reuse: bool, start: impl FnOnce() -> F) -> Lookup<T>
    where
        F: Future<Output = (T, Option<Instant>)> + Send + 'static,
    {
        let mut state = lock(&self.inner.state);
        if reuse
            && let (Some(v), Some(until)) = (&state.value, state.valid_until)
            && Instant::now() < until
        {
            return Lookup::Ready(v.clone());
        }
        if let Some(run) = &state.in_flight {
            return Lookup::Pending(run.waiters.clone());
        }
        state.next_id += 1;
        let id = state.next_id;
        let fut = start();
        let mut guard = RunGuard {
            inner: self.inner.clone(),
            id,
            done: false,
        };
        let task = tokio::spawn(async move {
            match AssertUnwindSafe(fut).catch_unwind().await {
                Ok((value, valid_until)) => {
                    guard.end(Ok((value.clone(), valid_until)));
                    Ok(value)
                }
                Err(payload) => {
                    let failure = RunFailure::Panicked(panic_message(&*payload));
                    guard.end(Err(&failure));
                    Err(failure)
                }
            }
        });
        let abort = task.abort_handle();
        let waiters = async move {
            match task.await {
                Ok(result) => result,
                Err(e) if e.is_panic() => {
                    Err(RunFailure::Panicked(panic_message(&*e.into_panic())))
                }
                Err(_) => Err(RunFailure::Cancelled),
            }
        }
        .boxed()
        .shared();
        state.in_flight = Some(Run {
            id,
            waiters: waiters.clone(),
            abort,
        });
        Lookup::Pending(waiters)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    fn counted(failures: &Arc<AtomicU32>) -> Coalesced<u32> {
        let f = failures.clone();
        Coalesced::new().on_failure(move |_| {
            f.fetch_add(1, Ordering::SeqCst);
        })
    }

    #[tokio::test]
    async fn a_run_that_panics_is_reported_once_and_the_next_call_runs_again() {
        let failures = Arc::new(AtomicU32::new(0));
        let cell = counted(&failures);
        let first = cell.get(|| async {
            if true {
                panic!("collector exploded");
            }
            (0, None)
        });
        let second = cell.get(|| async { unreachable!("joins the run under way") });
        assert_eq!(
            first.await,
            Err(RunFailure::Panicked("collector exploded".into()))
        );
        assert_eq!(
            second.await,
            Err(RunFailure::Panicked("collector exploded".into()))
        );
        assert_eq!(failures.load(Ordering::SeqCst), 1);
        assert!(!cell.is_running());
        assert_eq!(cell.get(|| async { (7, None) }).await, Ok(7));
        assert_eq!(failures.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_cancelled_run_is_reported_and_the_next_call_runs_again() {
        let failures = Arc::new(AtomicU32::new(0));
        let cell = counted(&failures);
        let waiting = cell.get(|| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            (1, None)
        });
        tokio::task::yield_now().await;
        cell.cancel();
        assert_eq!(waiting.await, Err(RunFailure::Cancelled));
        assert_eq!(failures.load(Ordering::SeqCst), 1);
        assert!(!cell.is_running());
        assert_eq!(cell.get(|| async { (2, None) }).await, Ok(2));
    }

    #[tokio::test]
    async fn a_run_finishes_when_every_waiter_has_gone() {
        let cell = Coalesced::<u32>::new();
        let waiting = cell.get(|| async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            (5, None)
        });
        drop(waiting);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(cell.current(), Some(5));
        assert!(!cell.is_running());
    }

    #[tokio::test]
    async fn refresh_ignores_a_valid_value() {
        let cell = Coalesced::<u32>::new();
        let long = Some(Instant::now() + Duration::from_secs(60));
        assert_eq!(cell.get(|| async move { (1, long) }).await, Ok(1));
        assert_eq!(cell.get(|| async move { (2, long) }).await, Ok(1));
        assert_eq!(cell.refresh(|| async move { (3, long) }).await, Ok(3));
        assert_eq!(cell.get(|| async move { (4, long) }).await, Ok(3));
    }
}
