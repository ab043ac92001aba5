{{- define "exec-guard.fullname" -}}
{{- if contains "exec-guard" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-exec-guard" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "exec-guard.labels" -}}
app.kubernetes.io/name: exec-guard
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: wheelhouse
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "exec-guard.selectorLabels" -}}
app.kubernetes.io/name: exec-guard
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "exec-guard.tlsSecret" -}}
{{- if eq .Values.certificate.mode "existingSecret" -}}
{{- required "certificate.existingSecret.name is required when certificate.mode=existingSecret" .Values.certificate.existingSecret.name -}}
{{- else -}}
{{- printf "%s-tls" (include "exec-guard.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* Namespaces the webhooks skip: the release namespace and the allowlist. */}}
{{- define "exec-guard.namespaceSelector" -}}
matchExpressions:
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values:
      {{- range (uniq (prepend .Values.namespaceAllowlist .Release.Namespace)) }}
      - {{ . | quote }}
      {{- end }}
  {{- with .Values.watchNamespaces }}
  - key: kubernetes.io/metadata.name
    operator: In
    values:
      {{- range . }}
      - {{ . | quote }}
      {{- end }}
  {{- end }}
{{- end -}}

{{- define "exec-guard.apiServerClientSecret" -}}
{{- if eq .Values.apiServerAuth.mode "existingSecret" -}}
{{- required "apiServerAuth.existingSecret.name is required when apiServerAuth.mode=existingSecret" .Values.apiServerAuth.existingSecret.name -}}
{{- else -}}
{{- printf "%s-apiserver-client" (include "exec-guard.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* CEL: the pod carries an exec guard label or annotation before or after the change (same as src/webhook-config.ts). */}}
{{- define "exec-guard.ownKeysCondition" -}}
{{- $has := "(has(%s.metadata.%s) && %s.metadata.%s.exists(k, k.startsWith('exec-guard.wheelhouse.dev/')))" -}}
{{- printf "%s || %s || (oldObject != null && (%s || %s))" (printf $has "object" "labels" "object" "labels") (printf $has "object" "annotations" "object" "annotations") (printf $has "oldObject" "labels" "oldObject" "labels") (printf $has "oldObject" "annotations" "oldObject" "annotations") -}}
{{- end -}}
