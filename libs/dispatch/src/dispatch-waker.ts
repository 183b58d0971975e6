/**
 * Starts a dispatch round after an operator put work back in line (a parked rerun): the dispatcher
 * itself when it runs in this process, otherwise the wake-up signal to the dispatcher processes.
 */
export abstract class DispatchWaker {
  abstract wake(): void;
}
