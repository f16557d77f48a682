/**
 * Engine events other parts react to (upstream triggering, 上游触发方案): a scheme stored new records (pushed or
 * polled), or delivered some. Emitted by the group committer and the dispatcher, where those things happen.
 */
import { EventEmitter } from 'node:events';

export interface EngineEventMap {
  /** Records were accepted (new, or replaced to be sent again) into a scheme. */
  stored: [schemeId: string, n: number];
  /** Records of a scheme were delivered (status done). */
  done: [schemeId: string, n: number];
}

export class EngineEvents extends EventEmitter<EngineEventMap> {}
