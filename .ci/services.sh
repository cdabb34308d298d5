#!/usr/bin/env bash
# Starts the local PostgreSQL and RabbitMQ when they are down, and waits until both answer.
set -uo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! port_open 5432; then
  echo "services: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if ! port_open 5672; then
  echo "services: starting RabbitMQ"
  rabbitmq-server -detached || true
fi
for i in $(seq 1 60); do
  if port_open 5432 && port_open 5672; then break; fi
  sleep 2
done
port_open 5432 || { echo "services: PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }
port_open 5672 || { echo "services: RabbitMQ is not reachable on 127.0.0.1:5672" >&2; exit 1; }
# RabbitMQ accepts TCP before it finishes booting; wait for the broker itself.
if command -v rabbitmqctl >/dev/null 2>&1; then
  for i in $(seq 1 60); do rabbitmqctl -q await_startup >/dev/null 2>&1 && break; sleep 2; done
fi
echo "services: PostgreSQL and RabbitMQ are up"
