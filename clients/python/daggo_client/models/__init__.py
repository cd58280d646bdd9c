"""Contains all the data models used in inputs/outputs"""

from .class_schema import ClassSchema
from .error import Error
from .error_error import ErrorError
from .error_info import ErrorInfo
from .error_info_source_type_0 import ErrorInfoSourceType0
from .event_info import EventInfo
from .event_info_data import EventInfoData
from .event_info_kind import EventInfoKind
from .input_snapshot import InputSnapshot
from .input_snapshot_wiring import InputSnapshotWiring
from .job_detail import JobDetail
from .job_snapshot import JobSnapshot
from .job_snapshot_tags import JobSnapshotTags
from .job_status_count import JobStatusCount
from .job_status_count_status import JobStatusCountStatus
from .job_summary import JobSummary
from .jobs_get_many_request import JobsGetManyRequest
from .jobs_get_many_response import JobsGetManyResponse
from .jobs_get_request import JobsGetRequest
from .jobs_launch_request import JobsLaunchRequest
from .jobs_launch_request_params import JobsLaunchRequestParams
from .jobs_launch_request_tags import JobsLaunchRequestTags
from .jobs_launch_response import JobsLaunchResponse
from .op_snapshot import OpSnapshot
from .param_snapshot import ParamSnapshot
from .plugin_failure import PluginFailure
from .plugin_info import PluginInfo
from .plugins_get_many_response import PluginsGetManyResponse
from .run_detail import RunDetail
from .run_detail_params import RunDetailParams
from .run_summary import RunSummary
from .run_summary_status import RunSummaryStatus
from .run_summary_tags import RunSummaryTags
from .run_summary_trigger import RunSummaryTrigger
from .runs_cancel_request import RunsCancelRequest
from .runs_cancel_response import RunsCancelResponse
from .runs_cancel_response_outcome import RunsCancelResponseOutcome
from .runs_count_by_status_request import RunsCountByStatusRequest
from .runs_count_by_status_request_statuses_item import RunsCountByStatusRequestStatusesItem
from .runs_count_by_status_request_tags import RunsCountByStatusRequestTags
from .runs_count_by_status_request_triggers_item import RunsCountByStatusRequestTriggersItem
from .runs_count_by_status_response import RunsCountByStatusResponse
from .runs_count_request import RunsCountRequest
from .runs_count_request_statuses_item import RunsCountRequestStatusesItem
from .runs_count_request_tags import RunsCountRequestTags
from .runs_count_request_triggers_item import RunsCountRequestTriggersItem
from .runs_count_response import RunsCountResponse
from .runs_events_request import RunsEventsRequest
from .runs_events_request_kinds_item import RunsEventsRequestKindsItem
from .runs_events_response import RunsEventsResponse
from .runs_events_response_run_status import RunsEventsResponseRunStatus
from .runs_get_many_request import RunsGetManyRequest
from .runs_get_many_request_statuses_item import RunsGetManyRequestStatusesItem
from .runs_get_many_request_tags import RunsGetManyRequestTags
from .runs_get_many_request_triggers_item import RunsGetManyRequestTriggersItem
from .runs_get_many_response import RunsGetManyResponse
from .runs_get_request import RunsGetRequest
from .runs_reexecute_request import RunsReexecuteRequest
from .runs_reexecute_response import RunsReexecuteResponse
from .schedule_snapshot import ScheduleSnapshot
from .schedule_snapshot_catch_up import ScheduleSnapshotCatchUp
from .schedule_snapshot_overlap import ScheduleSnapshotOverlap
from .schedule_snapshot_tags import ScheduleSnapshotTags
from .schedule_summary import ScheduleSummary
from .schedule_summary_catch_up import ScheduleSummaryCatchUp
from .schedule_summary_overlap import ScheduleSummaryOverlap
from .schedules_get_many_request import SchedulesGetManyRequest
from .schedules_get_many_response import SchedulesGetManyResponse
from .schedules_set_enabled_request import SchedulesSetEnabledRequest
from .schedules_set_enabled_response import SchedulesSetEnabledResponse
from .schedules_ticks_request import SchedulesTicksRequest
from .schedules_ticks_response import SchedulesTicksResponse
from .step_info import StepInfo
from .step_info_status import StepInfoStatus
from .system_config_response import SystemConfigResponse
from .system_config_response_config import SystemConfigResponseConfig
from .system_health_response import SystemHealthResponse
from .system_health_response_components import SystemHealthResponseComponents
from .system_health_response_problems import SystemHealthResponseProblems
from .system_version_response import SystemVersionResponse
from .tick_info import TickInfo
from .tick_info_status import TickInfoStatus
from .type_schema import TypeSchema
from .type_schema_kind import TypeSchemaKind

__all__ = (
    "ClassSchema",
    "Error",
    "ErrorError",
    "ErrorInfo",
    "ErrorInfoSourceType0",
    "EventInfo",
    "EventInfoData",
    "EventInfoKind",
    "InputSnapshot",
    "InputSnapshotWiring",
    "JobDetail",
    "JobsGetManyRequest",
    "JobsGetManyResponse",
    "JobsGetRequest",
    "JobsLaunchRequest",
    "JobsLaunchRequestParams",
    "JobsLaunchRequestTags",
    "JobsLaunchResponse",
    "JobSnapshot",
    "JobSnapshotTags",
    "JobStatusCount",
    "JobStatusCountStatus",
    "JobSummary",
    "OpSnapshot",
    "ParamSnapshot",
    "PluginFailure",
    "PluginInfo",
    "PluginsGetManyResponse",
    "RunDetail",
    "RunDetailParams",
    "RunsCancelRequest",
    "RunsCancelResponse",
    "RunsCancelResponseOutcome",
    "RunsCountByStatusRequest",
    "RunsCountByStatusRequestStatusesItem",
    "RunsCountByStatusRequestTags",
    "RunsCountByStatusRequestTriggersItem",
    "RunsCountByStatusResponse",
    "RunsCountRequest",
    "RunsCountRequestStatusesItem",
    "RunsCountRequestTags",
    "RunsCountRequestTriggersItem",
    "RunsCountResponse",
    "RunsEventsRequest",
    "RunsEventsRequestKindsItem",
    "RunsEventsResponse",
    "RunsEventsResponseRunStatus",
    "RunsGetManyRequest",
    "RunsGetManyRequestStatusesItem",
    "RunsGetManyRequestTags",
    "RunsGetManyRequestTriggersItem",
    "RunsGetManyResponse",
    "RunsGetRequest",
    "RunsReexecuteRequest",
    "RunsReexecuteResponse",
    "RunSummary",
    "RunSummaryStatus",
    "RunSummaryTags",
    "RunSummaryTrigger",
    "SchedulesGetManyRequest",
    "SchedulesGetManyResponse",
    "ScheduleSnapshot",
    "ScheduleSnapshotCatchUp",
    "ScheduleSnapshotOverlap",
    "ScheduleSnapshotTags",
    "SchedulesSetEnabledRequest",
    "SchedulesSetEnabledResponse",
    "SchedulesTicksRequest",
    "SchedulesTicksResponse",
    "ScheduleSummary",
    "ScheduleSummaryCatchUp",
    "ScheduleSummaryOverlap",
    "StepInfo",
    "StepInfoStatus",
    "SystemConfigResponse",
    "SystemConfigResponseConfig",
    "SystemHealthResponse",
    "SystemHealthResponseComponents",
    "SystemHealthResponseProblems",
    "SystemVersionResponse",
    "TickInfo",
    "TickInfoStatus",
    "TypeSchema",
    "TypeSchemaKind",
)
