use crate::names::group_of;
use crate::watch::{WatchStream, watch};
use std::sync::Arc;
use tonic::{Request, Response, Status};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_server::{Health, HealthServer};
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};
use vitals::{HealthGroup, HealthStatus};
use vitals_health::HealthRegistry;

/// The `grpc.health.v1.Health` service over a [`HealthRegistry`]: `Check` answers as the HTTP
/// probe of the same group does (it runs, or in background mode reads, the group's checks,
/// coalesced with every other probe), `Watch` pushes each change of the group's status from
/// the registry's change signal (no polling, no check runs of its own after the first answer).
///
/// Add [`server`](Self::server) to a tonic `Server`; [`close`](Self::close) ends every `Watch`
/// stream (call it when the listener closes, or graceful shutdown waits for the streams).
/// Cheap to clone; clones share the streams' close signal.
#[derive(Clone)]
pub struct GrpcHealth {
    registry: HealthRegistry,
    closed: Arc<tokio::sync::watch::Sender<bool>>,
}

impl std::fmt::Debug for GrpcHealth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrpcHealth")
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

impl GrpcHealth {
    /// The service over `registry` (the kernel's, shared: no copy of any status is kept).
    pub fn new(registry: HealthRegistry) -> Self {
        Self {
            registry,
            closed: Arc::new(tokio::sync::watch::Sender::new(false)),
        }
    }

    /// The tonic service to add to a `Server` (`Server::builder().add_service(..)`).
    pub fn server(&self) -> HealthServer<GrpcHealth> {
        HealthServer::new(self.clone())
    }

    /// Ends every `Watch` stream, open or opened later (they finish with status `OK`, which
    /// tells clients to reconnect elsewhere). `Check` keeps answering.
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        *self.closed.borrow()
    }
}

/// The wire form of a serving status.
pub(crate) fn response(status: ServingStatus) -> HealthCheckResponse {
    HealthCheckResponse {
        status: status as i32,
    }
}

/// The status a probe of `group` answers now: readiness while shutting down is unhealthy at once
/// (gRPC sends no reasons, so there is nothing to run the checks for, and a slow check would
/// hold the answer up to its timeout); otherwise the group as the HTTP probe runs it.
pub(crate) async fn probe(registry: &HealthRegistry, group: &HealthGroup) -> HealthStatus {
    if *group == HealthGroup::Readiness && registry.is_shutting_down() {
        return HealthStatus::Unhealthy;
    }
    registry.run_group(group, &[]).await.status
}

/// The serving status of a group status, by the probes' one rule.
pub(crate) fn serving(status: HealthStatus) -> ServingStatus {
    match vitals_health::serves(status) {
        true => ServingStatus::Serving,
        false => ServingStatus::NotServing,
    }
}

#[tonic::async_trait]
impl Health for GrpcHealth {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        let service = request.into_inner().service;
        let group = group_of(&service);
        if !self.registry.knows_group(&group) {
            return Err(Status::not_found(format!("no health group {service:?}")));
        }
        let status = probe(&self.registry, &group).await;
        Ok(Response::new(response(serving(status))))
    }

    type WatchStream = WatchStream;

    async fn watch(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let service = request.into_inner().service;
        Ok(Response::new(watch(
            self.registry.clone(),
            group_of(&service),
            self.closed.subscribe(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::time::Instant;
    use vitals::{CheckerExt, Dependency};

    fn ask(service: &str) -> Request<HealthCheckRequest> {
        Request::new(HealthCheckRequest {
            service: service.to_owned(),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn readiness_is_not_serving_at_once_on_shutdown_whatever_its_checks_take() {
        let reg = HealthRegistry::default();
        reg.add(Arc::new(vitals_judges::sleeping(
            "slow",
            Duration::from_secs(5),
        )))
        .unwrap();
        reg.add(Arc::new(
            vitals_judges::sleeping("ping", Duration::ZERO)
                .with_groups([HealthGroup::Liveness])
                .with_dependency(Dependency::Local),
        ))
        .unwrap();
        let health = GrpcHealth::new(reg.clone());
        reg.begin_shutdown();
        let asked = Instant::now();
        for service in ["", "readiness"] {
            let got = health.check(ask(service)).await.unwrap().into_inner();
            assert_eq!(got, response(ServingStatus::NotServing), "{service:?}");
        }
        assert_eq!(asked.elapsed(), Duration::ZERO, "no check run waited for");
        let got = health.check(ask("liveness")).await.unwrap().into_inner();
        assert_eq!(got, response(ServingStatus::Serving));
    }
}
