// Package delivery is the outbound end of the pipeline: the relay that
// fans each outbox message out to the endpoints that want it (one
// delivery row each) and enqueues a task per delivery, and the handler
// that makes one attempt at a delivery (sign, send, log the attempt,
// decide what follows) while bounding how many deliveries are in flight
// to any one endpoint, so that a slow or dead subscriber delays no other.
package delivery
