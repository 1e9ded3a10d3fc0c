-- 005_metrics.sql - what each instance counted (app/metrics.c): one row per series,
-- added to by the instance's master once a second; read by any instance for /metrics.
CREATE TABLE metric (
    instance text NOT NULL,
    name     text NOT NULL,
    labels   text NOT NULL,               -- Prometheus's label syntax, without braces
    value    double precision NOT NULL,
    PRIMARY KEY (instance, name, labels)
);

