{{- define "wheelhouse-agent.fullname" -}}
{{- if contains "wheelhouse-agent" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-wheelhouse-agent" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "wheelhouse-agent.serviceAccountName" -}}
{{- .Values.serviceAccount.name | default (include "wheelhouse-agent.fullname" .) -}}
{{- end -}}

{{- define "wheelhouse-agent.labels" -}}
app.kubernetes.io/name: wheelhouse-agent
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: wheelhouse
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "wheelhouse-agent.selectorLabels" -}}
app.kubernetes.io/name: wheelhouse-agent
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* A tier switch as "true"/"false", whether --set gave a bool or a string. */}}
{{- define "wheelhouse-agent.on" -}}
{{- if eq (toString .) "true" -}}true{{- else -}}false{{- end -}}
{{- end -}}

{{/* The key of files/rbac.json's rules for the enabled tiers; gen-helm-rbac.ts builds the same string. */}}
{{- define "wheelhouse-agent.tierKey" -}}
{{- printf "basic=%s,advanced=%s,podExec=%s" (include "wheelhouse-agent.on" .Values.actions.basic) (include "wheelhouse-agent.on" .Values.actions.advanced) (include "wheelhouse-agent.on" .Values.actions.podExec) -}}
{{- end -}}

{{/* The tiers as the agent's --tiers list. */}}
{{- define "wheelhouse-agent.tiers" -}}
{{- $t := list -}}
{{- if eq (include "wheelhouse-agent.on" .Values.actions.basic) "true" }}{{ $t = append $t "basic" }}{{ end -}}
{{- if eq (include "wheelhouse-agent.on" .Values.actions.advanced) "true" }}{{ $t = append $t "advanced" }}{{ end -}}
{{- if eq (include "wheelhouse-agent.on" .Values.actions.podExec) "true" }}{{ $t = append $t "podExec" }}{{ end -}}
{{- if eq (include "wheelhouse-agent.on" .Values.actions.nodeShell) "true" }}{{ $t = append $t "nodeShell" }}{{ end -}}
{{- if $t }}{{ join "," $t }}{{ else }}none{{ end -}}
{{- end -}}

{{- define "wheelhouse-agent.tokenSecretName" -}}
{{- if .Values.hub.tokenSecret.name -}}
{{- .Values.hub.tokenSecret.name -}}
{{- else if .Values.hub.token -}}
{{- printf "%s-token" (include "wheelhouse-agent.fullname" .) -}}
{{- else -}}
{{- fail "set hub.tokenSecret.name (a Secret holding the agent token) or hub.token" -}}
{{- end -}}
{{- end -}}

{{- define "wheelhouse-agent.tokenSecretKey" -}}
{{- if .Values.hub.tokenSecret.name -}}{{ .Values.hub.tokenSecret.key | default "token" }}{{- else -}}token{{- end -}}
{{- end -}}
