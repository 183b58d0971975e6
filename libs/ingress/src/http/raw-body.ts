import type { INestApplication } from '@nestjs/common';
import express from 'express';

/**
 * Department routes need the exact bytes sent (GBK XML, forms, signatures), so they get a raw
 * buffer; the operators' JSON API gets the JSON parser. Batch uploads are read as streams by
 * their controller and get no parser here.
 */
export function installBodyParsers(app: INestApplication, maxEventBytes: number): void {
  const raw = express.raw({ type: () => true, limit: maxEventBytes });
  app.use('/api/v1/departments/:dept/events', raw);
  app.use('/api/v1/platform', raw);
  const json = express.json({ limit: '1mb' });
  app.use((req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (req.path.startsWith('/api/v1/departments/') || req.path.startsWith('/api/v1/platform')) return next();
    return json(req, res, next);
  });
}
