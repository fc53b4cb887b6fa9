# One image for the Rasa server, the action server and the worker (docker-compose.yml picks the
# command). Python 3.10: Rasa 3.6 does not run on 3.11+.
FROM python:3.10-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=2 \
    SQLALCHEMY_SILENCE_UBER_WARNING=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    WEWALL_DATA_DIR=/var/lib/wewall

WORKDIR /app

# Dependencies first (cached while only the code changes), pinned exactly as in `make install`.
COPY requirements.txt constraints.txt ./
RUN pip install "pip==24.0" && pip install -r requirements.txt -c constraints.txt

# The project: package, actions, bot files. Models are mounted (./models), not baked in.
COPY . .
RUN pip install --no-deps --no-build-isolation -e . \
    && useradd --create-home --uid 10001 wewall \
    && mkdir -p /var/lib/wewall/files /app/models \
    && chown -R wewall:wewall /var/lib/wewall /app

USER wewall
EXPOSE 5005 5055
CMD ["rasa", "run", "-p", "5005", "-m", "models/wewall.tar.gz", "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"]
