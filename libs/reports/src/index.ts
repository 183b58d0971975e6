export * from './month';
export * from './report-config';
export * from './report.repository';
export * from './reports.service';
export * from './report-export';
export * from './reports.controller';
export * from './reports.module';
