{{/* Objects are named after the release. */}}
{{- define "promote-agent.fullname" -}}
{{ .Release.Name }}
{{- end }}

{{- define "promote-agent.selectorLabels" -}}
app.kubernetes.io/name: promote-agent
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "promote-agent.labels" -}}
{{ include "promote-agent.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: promote
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}
