// SPDX-License-Identifier: GPL-2.0
/* An SMP-style exchange: sized allocation helpers, scatterlists stored in a task. */
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <scsi/libsas.h>

#define FOO_REQ_SIZE	16
#define FOO_RESP_SIZE	56
#define FOO_BIG_RESP	1024

static void *foo_alloc_req(int size)
{
	u8 *p = kzalloc(size, GFP_KERNEL);

	if (p)
		p[0] = 0x40;
	return p;
}

static void *foo_alloc_resp(int size)
{
	return kzalloc(size, GFP_KERNEL);
}

static int foo_execute_task_sg(struct domain_device *dev, struct scatterlist *req,
			       struct scatterlist *resp)
{
	struct sas_task *task = sas_alloc_slow_task(GFP_KERNEL);

	task->smp_task.smp_req = *req;
	task->smp_task.smp_resp = *resp;
	return foo_queue(task);
}

static int foo_execute_task(struct domain_device *dev, void *req, int req_size,
			    void *resp, int resp_size)
{
	struct scatterlist req_sg;
	struct scatterlist resp_sg;

	sg_init_one(&req_sg, req, req_size);
	sg_init_one(&resp_sg, resp, resp_size);
	return foo_execute_task_sg(dev, &req_sg, &resp_sg);
}

static int foo_discover(struct domain_device *dev)
{
	u8 *req = foo_alloc_req(FOO_REQ_SIZE);
	u8 *resp = foo_alloc_resp(FOO_RESP_SIZE);
	u8 *big = foo_alloc_resp(FOO_BIG_RESP);
	int res;

	/* ruleid: dma-kmalloc-small (resp comes back from the device) */
	res = foo_execute_task(dev, req, FOO_REQ_SIZE, resp, FOO_RESP_SIZE);
	/* ok: dma-kmalloc-small (the request only goes out; a 1024-byte response) */
	res = foo_execute_task(dev, req, FOO_REQ_SIZE, big, FOO_BIG_RESP);
	kfree(resp);
	kfree(req);
	return res;
}

static int foo_local_only(struct domain_device *dev)
{
	struct scatterlist sg;
	u8 *resp = foo_alloc_resp(FOO_RESP_SIZE);

	/* ok: dma-kmalloc-small (the scatterlist never reaches a device here) */
	sg_init_one(&sg, resp, FOO_RESP_SIZE);
	return foo_inspect(&sg);
}
