# One image for the four services: `zygarde run planner|trainer|selector|scaler`.
# BASE_IMAGE: any Debian-based image with Python 3.11 and its venv module. The default is the
# official one; deploy/images/build.sh passes a base made with mmdebstrap, so the image builds
# without pulling from a registry.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PATH=/opt/zygarde/bin:$PATH \
    ZYGARDE_HOME=/var/lib/zygarde ZYGARDE_DATA_ROOTS=/data
WORKDIR /app
# The dependencies first, from pyproject.toml alone: a change to the sources rebuilds only the small
# layer below, not this one. A virtual environment: the same on every base (Debian's own Python
# refuses system-wide pip installs). pip reads its index (or PIP_NO_INDEX + PIP_FIND_LINKS, as
# deploy/images/build.sh gives it) from its usual configuration.
COPY pyproject.toml ./
RUN python3 -m venv /opt/zygarde \
 && python3 -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep=chr(10))" \
    > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt "docker>=7" "kubernetes==35.0.0" "boto3>=1.40" \
 && pip install --no-deps islp==0.6.0 \
 && rm /tmp/requirements.txt \
 && useradd --uid 10001 --create-home zygarde \
 && mkdir -p /var/lib/zygarde/artifacts /data && chown -R zygarde /var/lib/zygarde /data
COPY README.md ./
COPY zygarde ./zygarde
COPY services ./services
COPY bench ./bench
COPY examples ./examples
RUN pip install --no-deps . && rm -rf build
USER zygarde
EXPOSE 8080 9101 9102 9103
ENTRYPOINT ["zygarde"]
CMD ["run", "planner"]
