/* The operator's control socket: a unix stream socket (root, or the policy's
 * control.group), one JSON request per connection, one JSON answer. */
#ifndef PORTGATE_CONTROL_H
#define PORTGATE_CONTROL_H

struct gateway;
struct control;

struct control *control_open(struct gateway *g);
void control_close(struct control *c);

#endif
