// SPDX-License-Identifier: GPL-2.0-or-later
//
// backend.cc - the ns-3 backend of the simulator (../backend.h): ns-3's Simulator is the clock
// and the timers, ns-3 UDP sockets over ns-3's internet stack (IPv4, point-to-point links,
// static routes) are the network. Linked into dtt-sim-ns3 only; this file and that binary are
// GPL-2.0-or-later because they link ns-3 (GPLv2), see README.md in this directory.
//
// Topology: every simulated node has one point-to-point access link to one of R core routers
// (R = ns3.routers, or ceil(2 sqrt(N))), the routers form a full mesh. Node i's access link is a
// /30 inside router r's block 10.r.0.0/16 (leaves of router r: at most 16383); router links
// are /30s in 11.0.0.0/8. Leaves have a default route to their router, each router one /16
// route per other router: no global routing computation, and a router's lookup scans its own
// leaves' connected routes plus R - 1 block routes, not all N nodes.
//
// Latency from the scenario's model (net.h): access links carry half the model's minimum (half
// the constant, half of `min`, nothing for lognormal), the link between routers r and s one
// draw of the model for the pair (r, s) less the two access delays, so two nodes behind
// different routers see the model's distribution, independently per router pair (two nodes
// behind the same router, 1/R of the pairs, see the minimum). With `coordinates` each router
// sits on a grid of the unit square, a node uses its nearest router, and access and core links
// take the distance-proportional part, so the triangle inequality holds as in dtt-sim.
// Serialisation at the link rates and queueing in the devices' transmit queues (ns3.queue packets,
// drop-tail) come on top: that is what this backend adds.
//
// Loss, duplication, jitter and partitions at send are drawn by the engine's network model at
// the sender (dtt_sim_backend_fate) and applied before the datagram enters the sender's
// socket (a lost datagram is not sent, a duplicate is sent twice, jitter delays the handoff);
// the engine checks partitions again on arrival, and drops datagrams for a node that is down
// or for an older incarnation (a packet tag carries the incarnation it was sent to). Crashes,
// leaves, rejoins and clock skew are the engine's and behave exactly as in dtt-sim.
#include <ns3/core-module.h>
#include <ns3/internet-module.h>
#include <ns3/network-module.h>
#include <ns3/point-to-point-module.h>
#include <ns3/traffic-control-module.h>

#include <cmath>
#include <cstdio>
#include <new>
#include <unordered_map>
#include <vector>

extern "C" {
#include "backend.h"
#include "scenario.h"
}

using namespace ns3;

namespace
{

const uint16_t kPort = 6881;

// The incarnation of the receiver a datagram was sent to.
class IncarnationTag : public Tag
{
  public:
	uint32_t inc = 0;

	static TypeId GetTypeId()
	{
		static TypeId tid = TypeId("dtt::IncarnationTag")
					.SetParent<Tag>()
					.AddConstructor<IncarnationTag>();
		return tid;
	}
	TypeId GetInstanceTypeId() const override { return GetTypeId(); }
	uint32_t GetSerializedSize() const override { return 4; }
	void Serialize(TagBuffer b) const override { b.WriteU32(inc); }
	void Deserialize(TagBuffer b) override { inc = b.ReadU32(); }
	void Print(std::ostream &os) const override { os << "inc=" << inc; }
};

struct Ns3Backend {
	struct dtt_sim *sim = nullptr;
	uint32_t n = 0;
	NodeContainer leaves, routers;
	std::vector<Ptr<Socket>> sockets;
	std::vector<Ipv4Address> addr;		     // node index -> its address
	std::unordered_map<uint32_t, uint32_t> index; // address -> node index
	std::vector<uint8_t> buf;
	size_t pending = 0;
	int rc = 0;
};

Ns3Backend *g_be; // ns-3's Simulator is one per process, and so is this backend

uint64_t now_us()
{
	return (uint64_t)Simulator::Now().GetNanoSeconds() / 1000;
}

void fire(uint32_t tag, uint32_t arg)
{
	Ns3Backend *b = g_be;

	b->pending--;
	if (b->rc)
		return;
	b->rc = dtt_sim_dispatch(b->sim, now_us(), tag, arg);
	if (b->rc)
		Simulator::Stop();
}

void on_readable(uint32_t to, Ptr<Socket> sock)
{
	Ns3Backend *b = g_be;
	Address from;
	Ptr<Packet> p;

	while ((p = sock->RecvFrom(from))) {
		IncarnationTag tag;
		uint32_t len = p->GetSize();
		auto it = b->index.find(InetSocketAddress::ConvertFrom(from).GetIpv4().Get());

		if (it == b->index.end() || !p->PeekPacketTag(tag) || b->rc) {
			dtt_sim_backend_undeliverable(b->sim);
			continue;
		}
		if (b->buf.size() < len)
			b->buf.resize(len);
		p->CopyData(b->buf.data(), len);
		dtt_sim_receive(b->sim, now_us(), it->second, to, tag.inc, b->buf.data(), len);
		if (b->rc == 0 && dtt_sim_backend_status(b->sim)) {
			b->rc = dtt_sim_backend_status(b->sim);
			Simulator::Stop();
		}
	}
}

void transmit(uint32_t from, uint32_t to, Ptr<Packet> p)
{
	Ns3Backend *b = g_be;

	if (b->sockets[from]->SendTo(p, 0, InetSocketAddress(b->addr[to], kPort)) < 0)
		dtt_sim_backend_undeliverable(b->sim);
}

void count_drop(Ptr<const Packet>)
{
	dtt_sim_backend_undeliverable(g_be->sim);
}

// Latency parts, in microseconds.
struct Layout {
	std::vector<uint32_t> router_of;
	std::vector<uint64_t> access_us;
	std::vector<std::vector<uint64_t>> core_us;
};

void layout(struct dtt_sim *sim, uint32_t n, uint32_t r, Layout *l)
{
	const struct dtt_scenario *sc = dtt_sim_backend_scenario(sim);
	const struct dtt_simnet_latency *lat = &sc->network.latency;

	l->router_of.resize(n);
	l->access_us.resize(n);
	l->core_us.assign(r, std::vector<uint64_t>(r, 0));
	if (lat->dist == DTT_SIMNET_COORDINATES) {
		uint32_t side = (uint32_t)std::ceil(std::sqrt((double)r));
		double k = (lat->max_ms - lat->min_ms) / std::sqrt(2.0) * 1000.0;
		std::vector<double> rx(r), ry(r);

		for (uint32_t i = 0; i < r; i++) {
			rx[i] = ((i % side) + 0.5) / side;
			ry[i] = ((i / side) + 0.5) / side;
		}
		for (uint32_t i = 0; i < r; i++)
			for (uint32_t j = 0; j < r; j++)
				l->core_us[i][j] =
				    (uint64_t)std::llround(k * std::hypot(rx[i] - rx[j], ry[i] - ry[j]));
		for (uint32_t a = 0; a < n; a++) {
			double x, y, best = 1e9;

			dtt_sim_backend_coordinates(sim, a, &x, &y);
			for (uint32_t i = 0; i < r; i++) {
				double d = std::hypot(x - rx[i], y - ry[i]);

				if (d < best) {
					best = d;
					l->router_of[a] = i;
				}
			}
			l->access_us[a] = (uint64_t)std::llround(lat->min_ms * 500.0 + k * best);
		}
		return;
	}
	// Access links carry half the model's minimum, each router pair one draw of the model
	// (keyed by the two router indexes) less the two access delays: pairs behind different
	// routers see the model's distribution, independently per router pair.
	uint64_t access = 0;

	if (lat->dist == DTT_SIMNET_CONSTANT)
		access = (uint64_t)std::llround(lat->value_ms * 500.0);
	else if (lat->dist == DTT_SIMNET_UNIFORM)
		access = (uint64_t)std::llround(lat->min_ms * 500.0);
	for (uint32_t i = 0; i < r; i++)
		for (uint32_t j = 0; j < r; j++) {
			uint64_t base = dtt_sim_backend_base_us(sim, i, j);

			l->core_us[i][j] = base > 2 * access ? base - 2 * access : 0;
		}
	for (uint32_t a = 0; a < n; a++) {
		l->router_of[a] = a % r;
		l->access_us[a] = access;
	}
}

int ns3_open(struct dtt_sim *sim, void **out, char *err, size_t err_len)
{
	const struct dtt_scenario *sc = dtt_sim_backend_scenario(sim);
	uint32_t n = dtt_sim_backend_nodes(sim), r = sc->ns3.routers;
	Ns3Backend *b;
	Layout l;

	if (g_be) {
		snprintf(err, err_len, "one ns-3 simulation per process at a time");
		return -22;
	}
	if (!r)
		r = (uint32_t)std::ceil(2 * std::sqrt((double)(n ? n : 1)));
	if (r > 256)
		r = 256;
	if ((n + r - 1) / r > 16383) {
		snprintf(err, err_len, "%u nodes on %u routers: at most 16383 per router", n, r);
		return -22;
	}
	b = new (std::nothrow) Ns3Backend;
	if (!b) {
		snprintf(err, err_len, "out of memory");
		return -12;
	}
	b->sim = sim;
	b->n = n;
	RngSeedManager::SetSeed((uint32_t)(dtt_sim_backend_seed(sim) % 0xfffffffeu) + 1);
	RngSeedManager::SetRun(1);
	Config::SetDefault("ns3::DropTailQueue<Packet>::MaxSize",
			   QueueSizeValue(QueueSize(QueueSizeUnit::PACKETS, sc->ns3.queue)));
	layout(sim, n, r, &l);

	b->leaves.Create(n);
	b->routers.Create(r);
	InternetStackHelper stack;
	stack.Install(b->leaves);
	stack.Install(b->routers);

	PointToPointHelper access, core;
	access.SetDeviceAttribute("DataRate",
				  DataRateValue(DataRate((uint64_t)(sc->ns3.access_mbps * 1e6))));
	core.SetDeviceAttribute("DataRate",
				DataRateValue(DataRate((uint64_t)(sc->ns3.core_mbps * 1e6))));
	TrafficControlHelper tch;
	Ipv4StaticRoutingHelper srh;
	std::vector<uint32_t> leaves_of(r, 0);
	b->addr.resize(n);
	b->sockets.resize(n);

	for (uint32_t a = 0; a < n; a++) {
		uint32_t ri = l.router_of[a], k = leaves_of[ri]++;
		uint32_t net = (10u << 24) | (ri << 16) | (k << 2);

		access.SetChannelAttribute("Delay", TimeValue(MicroSeconds(l.access_us[a])));
		NetDeviceContainer d = access.Install(b->leaves.Get(a), b->routers.Get(ri));
		Ipv4AddressHelper ah(Ipv4Address(net), Ipv4Mask("255.255.255.252"));
		Ipv4InterfaceContainer ifs = ah.Assign(d);
		tch.Uninstall(d); // the device's drop-tail queue is the only queue (ns3.queue)
		d.Get(0)->TraceConnectWithoutContext("MacTxDrop", MakeCallback(&count_drop));
		d.Get(1)->TraceConnectWithoutContext("MacTxDrop", MakeCallback(&count_drop));
		b->addr[a] = ifs.GetAddress(0);
		b->index[ifs.GetAddress(0).Get()] = a;
		srh.GetStaticRouting(b->leaves.Get(a)->GetObject<Ipv4>())
		    ->SetDefaultRoute(ifs.GetAddress(1), 1);
	}
	uint32_t link = 0;
	for (uint32_t i = 0; i < r; i++) {
		for (uint32_t j = i + 1; j < r; j++, link++) {
			core.SetChannelAttribute("Delay", TimeValue(MicroSeconds(l.core_us[i][j])));
			NetDeviceContainer d = core.Install(b->routers.Get(i), b->routers.Get(j));
			Ipv4AddressHelper ah(Ipv4Address((11u << 24) | (link << 2)),
					     Ipv4Mask("255.255.255.252"));
			Ipv4InterfaceContainer ifs = ah.Assign(d);
			tch.Uninstall(d);
			d.Get(0)->TraceConnectWithoutContext("MacTxDrop", MakeCallback(&count_drop));
			d.Get(1)->TraceConnectWithoutContext("MacTxDrop", MakeCallback(&count_drop));
			Ptr<Ipv4> ipi = b->routers.Get(i)->GetObject<Ipv4>();
			Ptr<Ipv4> ipj = b->routers.Get(j)->GetObject<Ipv4>();
			srh.GetStaticRouting(ipi)->AddNetworkRouteTo(
			    Ipv4Address((10u << 24) | (j << 16)), Ipv4Mask("255.255.0.0"),
			    ifs.GetAddress(1), ipi->GetInterfaceForDevice(d.Get(0)));
			srh.GetStaticRouting(ipj)->AddNetworkRouteTo(
			    Ipv4Address((10u << 24) | (i << 16)), Ipv4Mask("255.255.0.0"),
			    ifs.GetAddress(0), ipj->GetInterfaceForDevice(d.Get(1)));
		}
	}
	g_be = b;
	TypeId udp = TypeId::LookupByName("ns3::UdpSocketFactory");
	for (uint32_t a = 0; a < n; a++) {
		Ptr<Socket> s = Socket::CreateSocket(b->leaves.Get(a), udp);

		if (s->Bind(InetSocketAddress(Ipv4Address::GetAny(), kPort)) < 0) {
			snprintf(err, err_len, "node %u: cannot bind its UDP socket", a);
			g_be = nullptr;
			Simulator::Destroy();
			delete b;
			return -5;
		}
		s->SetRecvCallback(MakeBoundCallback(&on_readable, a));
		b->sockets[a] = s;
	}
	*out = b;
	return 0;
}

void ns3_close(void *be)
{
	Ns3Backend *b = static_cast<Ns3Backend *>(be);

	if (!b)
		return;
	for (auto &s : b->sockets)
		if (s)
			s->Close();
	b->sockets.clear();
	Simulator::Destroy();
	g_be = nullptr;
	delete b;
}

int ns3_schedule(void *be, uint64_t t_us, uint32_t tag, uint32_t arg)
{
	Ns3Backend *b = static_cast<Ns3Backend *>(be);
	int64_t now = Simulator::Now().GetNanoSeconds(), at = (int64_t)t_us * 1000;

	b->pending++;
	Simulator::Schedule(NanoSeconds(at > now ? at - now : 0), &fire, tag, arg);
	return 0;
}

void ns3_send(void *be, uint32_t from, uint32_t to, const uint8_t *buf, size_t len)
{
	Ns3Backend *b = static_cast<Ns3Backend *>(be);
	uint64_t jitter[2];
	int copies = dtt_sim_backend_fate(b->sim, from, to, len, jitter);

	for (int i = 0; i < copies; i++) {
		Ptr<Packet> p = Create<Packet>(buf, (uint32_t)len);
		IncarnationTag tag;

		tag.inc = dtt_sim_backend_incarnation(b->sim, to);
		p->AddPacketTag(tag);
		if (jitter[i])
			Simulator::Schedule(MicroSeconds(jitter[i]), &transmit, from, to, p);
		else
			transmit(from, to, p);
	}
}

int ns3_run_until(void *be, uint64_t lim_us)
{
	Ns3Backend *b = static_cast<Ns3Backend *>(be);
	int64_t now = Simulator::Now().GetNanoSeconds(), stop = (int64_t)lim_us * 1000 + 999;

	if (b->rc)
		return b->rc;
	if (stop < now)
		return 0;
	// Everything up to the end of the microsecond lim_us, as dtt-sim runs every event <= lim.
	Simulator::Stop(NanoSeconds(stop - now));
	Simulator::Run();
	return b->rc;
}

size_t ns3_pending(void *be)
{
	return static_cast<Ns3Backend *>(be)->pending;
}

} // namespace

extern "C" const struct dtt_sim_backend_ops dtt_sim_ns3_backend = {
    "dtt-sim-ns3", ns3_open, ns3_close, ns3_schedule, ns3_send, ns3_run_until, ns3_pending,
};
