FROM redis:7.2 AS cache
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --start-interval=1s --retries=5 \
  CMD redis-cli ping | grep -q PONG || exit 1

FROM postgres:16 AS db
HEALTHCHECK --interval=10s CMD ["pg_isready", "-U", "postgres"]

FROM busybox AS nohealth
HEALTHCHECK NONE

FROM alpine
healthcheck --timeout=2s cmd wget -qO- http://localhost:8080/healthz || exit 1
