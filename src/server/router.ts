import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './http-utils.js';

function decodeParam(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new ApiError(400, 'invalid_request', `"${value}" in the path is not valid percent-encoding`);
  }
}

export type Handler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string>) => Promise<void> | void;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

/** Method + path patterns with `:params`; the first match wins. */
export class Router {
  private readonly routes: Route[] = [];

  on(method: string, path: string, handler: Handler): this {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${path.replace(/\//g, '\\/').replace(/:([a-zA-Z]+)/g, (_, name: string) => {
        names.push(name);
        return '([^/]+)';
      })}$`,
    );
    this.routes.push({ method, pattern, names, handler });
    return this;
  }

  /** The handler for a request, or 'method' when the path exists under another method. */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | 'method' | undefined {
    let pathMatched = false;
    for (const route of this.routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      const params = Object.fromEntries(route.names.map((n, i) => [n, decodeParam(m[i + 1])]));
      return { handler: route.handler, params };
    }
    return pathMatched ? 'method' : undefined;
  }
}
