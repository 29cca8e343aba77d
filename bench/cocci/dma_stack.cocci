// A stack buffer handed to a USB, SPI, regmap or DMA-mapping call: what a
// kernel developer would write in Coccinelle to find DMA-from-stack
// (bench/bench_tree.py runs it on drivers/usb beside reviewbot). Direct calls
// only: helpers that forward the buffer are out of its reach.
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
regmap_raw_read(...,buf@p,...)
|
regmap_bulk_read(...,buf@p,...)
|
regmap_raw_write(...,buf@p,...)
|
regmap_bulk_write(...,buf@p,...)
|
spi_read(...,buf@p,...)
|
spi_write(...,buf@p,...)
|
dma_map_single(...,buf@p,...)
)
...+>
}

@s@
identifier f, x;
type T;
position p;
@@
f(...) {
<+...
T x;
...
(
usb_control_msg(...,&x@p,...)
|
usb_bulk_msg(...,&x@p,...)
|
regmap_raw_read(...,&x@p,...)
|
regmap_bulk_read(...,&x@p,...)
|
regmap_raw_write(...,&x@p,...)
|
regmap_bulk_write(...,&x@p,...)
|
spi_read(...,&x@p,...)
|
spi_write(...,&x@p,...)
)
...+>
}

@script:python@
p << r.p;
buf << r.buf;
@@
print("%s:%s: stack buffer %s" % (p[0].file, p[0].line, buf))

@script:python@
p << s.p;
x << s.x;
@@
print("%s:%s: stack buffer &%s" % (p[0].file, p[0].line, x))
