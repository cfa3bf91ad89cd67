// What a Zygarde dashboard is, in Grafana's own types (@grafana/schema, the version of the Grafana
// that compose and Kubernetes run), plus what the project promises beyond the schema: every panel
// reads through the datasource variable, has a unit, and queries Prometheus.
import type { Dashboard, DataQuery, FieldConfigSource, Panel, VariableModel } from '@grafana/schema';

export interface PromQuery extends DataQuery {
  expr: string;
  legendFormat: string;
  datasource: DatasourceVariable;
}

export interface DatasourceVariable {
  type: 'prometheus';
  uid: '${datasource}';
}

export interface ZygardePanel extends Omit<Panel, 'targets' | 'fieldConfig' | 'datasource'> {
  type: 'timeseries' | 'stat' | 'bargauge';
  datasource: DatasourceVariable;
  fieldConfig: FieldConfigSource & { defaults: { unit: string } };
  targets: PromQuery[];
}

export interface ZygardeDashboard extends Omit<Dashboard, 'panels' | 'templating'> {
  panels: ZygardePanel[];
  templating: { list: VariableModel[] };
}
