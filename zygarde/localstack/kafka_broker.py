"""The Kafka broker of the local stack (KRaft, one node), its jars fetched by Maven into the cache."""

from __future__ import annotations

import os
import shutil
import string
import subprocess
import sys
from pathlib import Path

from zygarde.errors import StackError
from zygarde.localstack.component import LOCAL, Component, host_port, port_open, run_install_step
from zygarde.settings import Settings


class KafkaComponent(Component):
    name = "kafka"
    marker = "kafka.Kafka"

    @property
    def jars(self) -> Path:
        return self.settings.cache_dir / "kafka" / "jars"

    @property
    def data_dir(self) -> Path:
        return self.settings.home / "kafka" / "data"

    @property
    def address(self) -> str:
        return self.settings.kafka_bootstrap

    def install(self) -> None:
        if (self.jars / ".complete").exists():
            return
        if shutil.which("java") is None or shutil.which("mvn") is None:
            raise StackError("kafka", "Java 17+ and Maven are needed to fetch the broker's jars")
        self.jars.mkdir(parents=True, exist_ok=True)
        run_install_step("kafka", ["mvn", "-q", "-B", "-f", str(LOCAL / "kafka" / "pom.xml"),
                                   f"-Dmaven.repo.local={self.settings.cache_dir / 'm2'}",
                                   "dependency:copy-dependencies", f"-DoutputDirectory={self.jars}",
                                   "-DincludeScope=runtime"], self.install_log)
        (self.jars / ".complete").touch()

    def _config(self) -> Path:
        host, port = host_port(self.settings.kafka_bootstrap, 9092)
        template = string.Template((LOCAL / "kafka" / "server.properties.in").read_text())
        text = template.substitute(host=host, port=port, controller_port=port + 1, log_dirs=self.data_dir)
        path = self.settings.home / "kafka" / "server.properties"
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.settings.kafka_tls and not self.settings.kafka_sasl:
            raise StackError("kafka", "ZYGARDE_KAFKA_TLS needs ZYGARDE_KAFKA_SASL (TLS is on the authenticating "
                             "listener)")
        if self.settings.kafka_sasl:  # the client listener authenticates; the file then holds passwords
            from zygarde.localstack import kafka_auth

            text = text.replace("PLAINTEXT://", "CLIENT://") + kafka_auth.server_properties(
                kafka_auth.credentials(self.settings))
            if self.settings.kafka_tls:
                from zygarde.localstack import kafka_tls

                kafka_tls.ensure_certificates(self.settings, host)
                text += kafka_tls.server_properties(self.settings)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)  # a file left by a PLAINTEXT start keeps its mode otherwise
            with os.fdopen(fd, "w") as fh:
                fh.write(text)
        else:
            path.write_text(text)
        return path

    def ports(self) -> list[tuple[str, int]]:
        host, port = host_port(self.settings.kafka_bootstrap, 9092)
        return [(host, port), (host, port + 1)]  # the broker, then the KRaft controller

    def _java(self, main: str, *args: str) -> list[str]:
        return ["java", "-Xms256m", "-Xmx768m", "-XX:+UseG1GC",
                f"-Dlog4j2.configurationFile={LOCAL / 'kafka' / 'log4j2.properties'}",
                "-cp", f"{self.jars}/*", main, *args]

    @property
    def _scram_marker(self) -> Path:
        return self.data_dir / "zygarde-scram"

    def _formatted_plaintext(self, previous_config: str) -> bool:
        """Whether the existing storage was formatted by a PLAINTEXT start, so lacks the admin's SCRAM
        credential (created only at format time): its last start's configuration says so, and no marker of
        a format with credentials. Storage of unknown origin is left as it is (the broker then says why)."""
        return (bool(previous_config) and not self._scram_marker.exists()
                and "sasl.enabled.mechanisms" not in previous_config)

    def prepare(self) -> None:
        old_config = self.settings.home / "kafka" / "server.properties"
        previous = old_config.read_text() if old_config.exists() else ""
        config = self._config()
        if (self.data_dir / "meta.properties").exists():
            if not self.settings.kafka_sasl or not self._formatted_plaintext(previous):
                return
            # PLAINTEXT storage (an older version, or ZYGARDE_KAFKA_SASL=0) has no admin credential, and
            # KRaft adds one only at format time: it is moved aside, and up creates the topics again
            aside = self.data_dir.with_name("data.plaintext")
            shutil.rmtree(aside, ignore_errors=True)
            self.data_dir.rename(aside)
            print(f"kafka: the broker's storage was PLAINTEXT; moved to {aside} and formatted again with "
                  "SASL/SCRAM (the topics are created again, messages in them are not kept)", file=sys.stderr)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        uuid_out = subprocess.run(self._java("kafka.tools.StorageTool", "random-uuid"),
                                  capture_output=True, text=True, check=True).stdout.split()
        cluster_id = uuid_out[-1]
        scram: list[str] = []
        if self.settings.kafka_sasl:
            from zygarde.localstack import kafka_auth

            scram = kafka_auth.format_args(kafka_auth.credentials(self.settings))
        run_install_step("kafka", self._java("kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config),
                                             *scram), self.files.logfile, secret_args=len(scram))
        if scram:
            self._scram_marker.touch()

    def up(self) -> str:
        """As every component's, but a broker already running in the other mode (PLAINTEXT while
        ``ZYGARDE_KAFKA_SASL`` is on, or the reverse) is named as such at once instead of awaited."""
        if not self.ready():
            other = self._other_mode()
            if other in ("SASL_SSL", "SASL_PLAINTEXT"):
                wanted_tls = "on" if self.settings.kafka_tls else "off"
                raise StackError("kafka", f"the broker at {self.address} runs {other}, but ZYGARDE_KAFKA_TLS is "
                                 f"{wanted_tls}: stop it (`zygarde down`) and run `zygarde up` again, or set "
                                 f"ZYGARDE_KAFKA_TLS={'0' if self.settings.kafka_tls else '1'} to use it as it is",
                                 str(self.files.logfile))
            if other:
                wanted = "on" if self.settings.kafka_sasl else "off (0)"
                raise StackError("kafka", f"the broker at {self.address} runs {other}, but ZYGARDE_KAFKA_SASL "
                                 f"is {wanted}: stop it (`zygarde down`) and run `zygarde up` again, or set "
                                 f"ZYGARDE_KAFKA_SASL={'0' if self.settings.kafka_sasl else '1'} to use it as it is",
                                 str(self.files.logfile))
        return super().up()

    def _other_mode(self) -> str:
        """'PLAINTEXT' or 'SASL' when the broker on our port answers in the mode we do not want, else ''."""
        host, port = host_port(self.settings.kafka_bootstrap, 9092)
        if not port_open(host, port):
            return ""
        if self.settings.kafka_sasl:
            if self._answers({}):
                return "PLAINTEXT"
            from zygarde.localstack import kafka_auth

            flipped = self.settings.model_copy(update={"kafka_tls": not self.settings.kafka_tls})
            if (self.settings.home / "kafka" / "credentials.json").exists() and (
                    not flipped.kafka_tls or _tls_ca_exists(flipped)) and self._answers(
                    kafka_auth.admin_conf(flipped)):
                return "SASL_SSL" if flipped.kafka_tls else "SASL_PLAINTEXT"
            return ""
        creds = self.settings.home / "kafka" / "credentials.json"
        if not creds.exists():
            return ""
        from zygarde.localstack import kafka_auth

        return "SASL" if self._answers(kafka_auth.admin_conf(self.settings)) else ""

    def _answers(self, security: dict[str, str]) -> bool:
        from confluent_kafka.admin import AdminClient

        conf: dict[str, str | int | float | bool] = {"bootstrap.servers": self.settings.kafka_bootstrap,
                                                     "security.protocol": "PLAINTEXT", **security}
        try:
            return len(AdminClient(conf).list_topics(timeout=3).brokers) > 0
        except Exception:  # noqa: BLE001 - no answer in this mode
            return False

    def command(self) -> list[str]:
        return self._java("kafka.Kafka", str(self._config()))

    def start_timeout(self) -> float:
        return 90.0

    def ready(self) -> bool:
        from confluent_kafka.admin import AdminClient

        host, port = host_port(self.settings.kafka_bootstrap, 9092)
        if not port_open(host, port):
            return False
        conf: dict[str, str | int | float | bool] = {"bootstrap.servers": self.settings.kafka_bootstrap}
        if self.settings.kafka_sasl:
            from zygarde.localstack import kafka_auth

            conf.update(kafka_auth.admin_conf(self.settings))
        try:
            md = AdminClient(conf).list_topics(timeout=3)
            return len(md.brokers) > 0
        except Exception:  # noqa: BLE001 - any failure means "not ready yet"
            return False


def _tls_ca_exists(settings: Settings) -> bool:
    from zygarde.localstack import kafka_tls

    return kafka_tls.ca_path(settings).exists()
