import { Controller, Get, NotFoundException, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Where the dashboard's files are: `libs/ops/assets` beside the sources (tests, `npm start` from
 * the repository) or copied next to the compiled code (`dist/libs/ops/assets`).
 */
export function findAssetsDir(): string | null {
  const candidates = [
    resolve(__dirname, '..', 'assets'),
    resolve(__dirname, '..', '..', '..', '..', 'libs', 'ops', 'assets'),
    resolve(process.cwd(), 'libs', 'ops', 'assets'),
  ];
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? null;
}

function findECharts(): string | null {
  try {
    return join(dirname(require.resolve('echarts/package.json')), 'dist', 'echarts.min.js');
  } catch {
    return null;
  }
}

const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'figures.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

/** The operators' dashboard: static files (Chinese UI, vanilla JS) and ECharts from node_modules. */
@ApiExcludeController()
@Controller('dashboard')
export class DashboardController {
  private readonly dir = findAssetsDir();
  private readonly echarts = findECharts();

  private send(res: Response, file: string | null, type: string, cache: string): void {
    if (!file || !existsSync(file)) {
      throw new NotFoundException('看板文件缺失 dashboard files are missing (libs/ops/assets, node_modules/echarts)');
    }
    // The Content-Security-Policy (everything local: county intranets have no internet) and the
    // other security headers are the whole app's (libs/ingress/src/http/security-headers.ts).
    res.setHeader('Content-Type', type);
    res.setHeader('Cache-Control', cache);
    res.sendFile(file);
  }

  @Get()
  index(@Req() req: Request, @Res() res: Response): void {
    // Relative asset URLs need the trailing slash.
    if (!req.path.endsWith('/')) return res.redirect(302, `${req.baseUrl ?? ''}${req.path}/`);
    this.send(res, this.dir && join(this.dir, 'index.html'), FILES['index.html'], 'no-cache');
  }

  @Get('vendor/echarts.min.js')
  echartsFile(@Res() res: Response): void {
    this.send(res, this.echarts, 'text/javascript; charset=utf-8', 'public, max-age=86400');
  }

  @Get(':file')
  asset(@Param('file') file: string, @Res() res: Response): void {
    const type = FILES[file];
    if (!type) throw new NotFoundException('没有这个文件 no such file');
    this.send(res, this.dir && join(this.dir, file), type, 'no-cache');
  }
}
