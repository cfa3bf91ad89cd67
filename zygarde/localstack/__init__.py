"""A real local stack without Docker: Kafka (KRaft), FerretDB/SQLite, Prometheus, and the services."""
