declare module 'parse-prometheus-text-format' {
  /** Parses Prometheus text exposition into metric families; throws on an invalid line. */
  export default function parsePrometheusTextFormat(text: string): {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    metrics: {
      labels?: Record<string, string>;
      value?: string;
      buckets?: Record<string, string>;
      quantiles?: Record<string, string>;
      count?: string;
      sum?: string;
    }[];
  }[];
}
