/** One error shape for every HTTP answer that is not a success: `{code, error, message, issues?}`. */
import type { FastifyReply } from 'fastify';
import type { Issue } from '../errors.ts';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly error: string,
    message: string,
    readonly issues?: Issue[],
  ) {
    super(message);
  }
}

export function sendError(reply: FastifyReply, status: number, error: string, message: string, issues?: Issue[]) {
  return reply.code(status).send({ code: status, error, message, ...(issues ? { issues } : {}) });
}
