# Build: a static binary, so the runtime image needs no Go and no libc match.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/seatsync ./cmd/seatsync

# Run: ca-certificates for TLS to Postgres/Redis/providers, curl for health checks.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 seatsync \
 && useradd --system --uid 10001 --gid seatsync --no-create-home --shell /usr/sbin/nologin seatsync
COPY --from=build /out/seatsync /usr/local/bin/seatsync
USER 10001:10001
# 8080: serve and all (webhooks, API, dashboard, metrics); 8081: worker's health and metrics.
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/seatsync"]
CMD ["all"]
