# Production image: gunicorn web, Celery worker and beat all run from it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=pokja_portal.settings.base

# Pango and fonts for WeasyPrint PDFs; gettext for translations; pg_dump/pg_restore for backup_portal.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core gettext \
       postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DATABASE_URL=sqlite:////tmp/build.sqlite3 SECRET_KEY=build python manage.py collectstatic --noinput \
    && python manage.py compilemessages -l id -l en

RUN useradd --system --home /app pokja && mkdir -p /var/lib/pokja/media && chown -R pokja /var/lib/pokja
USER pokja
EXPOSE 8000
CMD ["gunicorn", "pokja_portal.wsgi:application", "-c", "gunicorn.conf.py"]
