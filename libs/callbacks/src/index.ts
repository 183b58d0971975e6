export * from './callback.service';
export * from './department-dispatcher';
export * from './callbacks.module';
export * from './callbacks.controller';
