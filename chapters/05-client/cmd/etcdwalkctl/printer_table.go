package main

import (
	"io"

	clientv3 "etcdwalk/chapters/05-client/client/v3"

	"github.com/olekukonko/tablewriter"
)

// tablePrinter is --write-out=table (etcd's printer_table.go): member list and the endpoint
// commands as a table, drawn by the tablewriter version etcdctl uses; the other responses are
// refused.
type tablePrinter struct {
	unsupported
	out io.Writer
}

func (tp *tablePrinter) MemberList(r *clientv3.MemberListResponse) {
	tp.render(memberListTable(r))
}

func (tp *tablePrinter) EndpointHealth(hs []epHealth) { tp.render(endpointHealthTable(hs)) }

func (tp *tablePrinter) EndpointStatus(eps []epStatus) { tp.render(endpointStatusTable(eps)) }

func (tp *tablePrinter) render(hdr []string, rows [][]string) {
	table := tablewriter.NewWriter(tp.out)
	table.SetHeader(hdr)
	for _, row := range rows {
		table.Append(row)
	}
	table.SetAlignment(tablewriter.ALIGN_RIGHT)
	table.Render()
}
