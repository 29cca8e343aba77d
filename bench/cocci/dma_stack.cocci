// A stack array handed to a USB message or URB helper: what a kernel developer
// would write in Coccinelle to find DMA-from-stack (bench/bench_tree.py runs it).
@r@
identifier f, buf;
type T;
expression n;
position p;
@@
f(...) {
<+...
T buf[n];
...
(
usb_control_msg(...,buf@p,...)
|
usb_bulk_msg(...,buf@p,...)
|
usb_interrupt_msg(...,buf@p,...)
|
usb_fill_bulk_urb(...,buf@p,...)
|
usb_fill_int_urb(...,buf@p,...)
|
usb_fill_control_urb(...,buf@p,...)
)
...+>
}

@script:python@
p << r.p;
buf << r.buf;
@@
print("%s:%s: stack buffer %s" % (p[0].file, p[0].line, buf))
