{{- define "zygarde.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "zygarde.labels" -}}
app.kubernetes.io/part-of: zygarde
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{/* Pod Security "restricted": non-root, no privilege escalation, no capabilities, RuntimeDefault seccomp. */}}
{{- define "zygarde.podSecurity" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "zygarde.containerSecurity" -}}
allowPrivilegeEscalation: false
capabilities:
  drop: [ALL]
{{- end -}}

{{- define "zygarde.kafkaBootstrap" -}}
{{- if .Values.kafka.enabled -}}
kafka.{{ .Release.Namespace }}.svc:9092
{{- else -}}
{{ required "kafka.externalBootstrap is required with kafka.enabled=false" .Values.kafka.externalBootstrap }}
{{- end -}}
{{- end -}}

{{/* The environment every Zygarde container shares; the admin token only where it is used. */}}
{{- define "zygarde.env" -}}
- name: ZYGARDE_KAFKA_BOOTSTRAP
  value: {{ include "zygarde.kafkaBootstrap" . | quote }}
- name: ZYGARDE_MONGO_URI
{{- if .Values.mongo.enabled }}
  value: "mongodb://mongo.{{ .Release.Namespace }}.svc:27017/zygarde"
{{- else }}
  valueFrom:
    secretKeyRef:
      name: {{ required "mongo.externalUriSecret is required with mongo.enabled=false" .Values.mongo.externalUriSecret }}
      key: uri
{{- end }}
- name: ZYGARDE_PLANNER_URL
  value: "http://planner.{{ .Release.Namespace }}.svc:{{ .Values.planner.service.port }}"
{{- with .Values.prometheus.url }}
- name: ZYGARDE_PROMETHEUS_URL
  value: {{ . | quote }}
{{- end }}
- name: ZYGARDE_TOPIC_PREFIX
  value: {{ .Values.topicPrefix | quote }}
- name: ZYGARDE_HOME
  value: /var/lib/zygarde
- name: ZYGARDE_DATA_ROOTS
  value: /files/data
- name: ZYGARDE_ARTIFACT_URI
  value: /files/artifacts
- name: ZYGARDE_METRICS_ADDR
  value: 0.0.0.0
{{- with .Values.s3.dataRoots }}
- name: ZYGARDE_S3_DATA_ROOTS
  value: {{ . | quote }}
{{- end }}
{{- with .Values.s3.endpointUrl }}
- name: ZYGARDE_S3_ENDPOINT_URL
  value: {{ . | quote }}
{{- end }}
{{- with .Values.s3.credentialsSecret }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: AWS_ACCESS_KEY_ID
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: AWS_SECRET_ACCESS_KEY
{{- end }}
{{- end -}}

{{/* Where a container's Kafka client settings are (its principal's Secret, mounted at /etc/zygarde/kafka). */}}
{{- define "zygarde.kafkaClientEnv" -}}
{{- if .Values.kafka.sasl }}
- name: ZYGARDE_KAFKA_CLIENT_PROPERTIES
  value: /etc/zygarde/kafka/client.properties
{{- else }}
- name: ZYGARDE_KAFKA_SASL
  value: "0"
{{- end }}
{{- end -}}

{{- define "zygarde.adminToken" -}}
- name: ZYGARDE_ADMIN_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.adminSecret }}
      key: token
- name: ZYGARDE_ARTIFACT_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.adminSecret }}
      key: artifact-key
{{- end -}}

{{/* With a ReadWriteOnce volume every pod that mounts it runs on the planner's node. */}}
{{- define "zygarde.colocate" -}}
{{- if eq .Values.storage.accessMode "ReadWriteOnce" }}
affinity:
  podAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            app.kubernetes.io/name: zygarde-planner
{{- end }}
{{- end -}}
