use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use std::sync::{Mutex, MutexGuard};
use tokio::time::Instant;

/// A value that is recomputed at most once at a time and reused until it expires: the building
/// block of cached health checks, collect-time collectors and SQL aggregates.
///
/// [`get`](Self::get) returns the value while it is valid; otherwise every caller shares one run
/// (started by the first). The run reports its value with [`finish`](Self::finish).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
/// use vitals::Coalesced;
///
/// let cell = Arc::new(Coalesced::<u32>::new());
/// let runs = Arc::new(AtomicU32::new(0));
/// let get = || {
///     let (cell2, runs) = (cell.clone(), runs.clone());
///     cell.get(move || Box::pin(async move {
///         let n = runs.fetch_add(1, Ordering::SeqCst) + 1;
///         cell2.finish(n, Some(tokio::time::Instant::now() + Duration::from_secs(60)));
///         n
///     }))
/// };
/// assert_eq!(get().await, 1);
/// assert_eq!(get().await, 1); // still valid: not run again
/// assert_eq!(runs.load(Ordering::SeqCst), 1);
/// # }
/// ```
pub struct Coalesced<T: Clone> {
    state: Mutex<State<T>>,
}

struct State<T: Clone> {
    value: Option<T>,
    valid_until: Option<Instant>,
    in_flight: Option<Shared<BoxFuture<'static, T>>>,
}

/// What [`Coalesced::get`] found: a valid value, or the run to wait for.
pub enum Lookup<T: Clone> {
    /// The stored value is still valid.
    Ready(T),
    /// A run is under way (possibly just started); await it.
    Pending(Shared<BoxFuture<'static, T>>),
}

impl<T: Clone> std::future::IntoFuture for Lookup<T> {
    type Output = T;
    type IntoFuture =
        futures_util::future::Either<std::future::Ready<T>, Shared<BoxFuture<'static, T>>>;

    fn into_future(self) -> Self::IntoFuture {
        match self {
            Lookup::Ready(v) => futures_util::future::Either::Left(std::future::ready(v)),
            Lookup::Pending(run) => futures_util::future::Either::Right(run),
        }
    }
}

impl<T: Clone> Default for Coalesced<T> {
    fn default() -> Self {
        Self {
            state: Mutex::new(State {
                value: None,
                valid_until: None,
                in_flight: None,
            }),
        }
    }
}

impl<T: Clone + Send + Sync + 'static> Coalesced<T> {
    /// Empty: the first `get` starts a run.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The last finished value, valid or not.
    pub fn current(&self) -> Option<T> {
        self.state().value.clone()
    }

    /// The value while valid; else the run under way, or a new one made by `start`.
    ///
    /// `start` runs under the cell's lock: it must only build the future (which may use the cell
    /// when it runs), never call this cell itself.
    pub fn get(&self, start: impl FnOnce() -> BoxFuture<'static, T>) -> Lookup<T> {
        let mut state = self.state();
        if let (Some(v), Some(until)) = (&state.value, state.valid_until)
            && Instant::now() < until
        {
            return Lookup::Ready(v.clone());
        }
        if let Some(run) = &state.in_flight {
            return Lookup::Pending(run.clone());
        }
        let run = start().shared();
        state.in_flight = Some(run.clone());
        Lookup::Pending(run)
    }

    /// Stores a run's value, reusable until `valid_until` (`None`: not reused), and ends the run.
    pub fn finish(&self, value: T, valid_until: Option<Instant>) {
        let mut state = self.state();
        state.value = Some(value);
        state.valid_until = valid_until;
        state.in_flight = None;
    }
}
